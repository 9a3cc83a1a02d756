"""Full-text search index on facts (item + evidence), PostgreSQL only.

The expression is exactly what `SearchVector("item", "evidence", config="english")` renders, so the
planner uses this index for `analysis.search` queries. SQLite has no GIN: there search falls back to
icontains and this migration does nothing.
"""
from django.db import migrations

INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS fact_search_gin ON analysis_fact USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(item, '') || ' ' || COALESCE(evidence, '')))"
)


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("analysis", "0001_initial")]

    operations = [PostgresOnlySQL(INDEX_SQL, reverse_sql="DROP INDEX IF EXISTS fact_search_gin")]
