"""Facts: full-text search from a stored `search_vector` filled at finalize, and the list's order index.

* `search_vector` (tsvector, PostgreSQL; an unused text column on SQLite) replaces the expression GIN
  index of 0002: that index computed `to_tsvector` inside every insert of a step's save. The column is
  NULL at insert and filled for the whole run by one UPDATE at finalize (services/search.py); its GIN
  index is partial (`WHERE search_vector IS NOT NULL`), so a NULL row costs the index nothing; a partial
  btree on `run_id WHERE search_vector IS NULL` finds the rows not filled yet. Existing rows are filled
  here.
* `(run, domain, entity, category, id) INCLUDE (deleted_at)` — the facts list's default order, covering its
  count and id pages (PostgreSQL; a plain index elsewhere) — replaces `(run, domain)` (a
  prefix of it): a deep page of the list walks the index instead of sorting the run's facts.
"""
import django.contrib.postgres.search
from django.db import migrations, models

FILL_SQL = (
    "UPDATE analysis_fact SET search_vector = "
    "to_tsvector('english'::regconfig, COALESCE(item, '') || ' ' || COALESCE(evidence, '')) "
    "WHERE search_vector IS NULL"
)
FORWARD_SQL = [
    "DROP INDEX IF EXISTS fact_search_gin",
    FILL_SQL,
    "CREATE INDEX IF NOT EXISTS fact_search_vector_gin ON analysis_fact USING gin (search_vector) "
    "WHERE search_vector IS NOT NULL",
    # The rows not filled yet, by run (a cheap btree entry at insert, dead after finalize): a search
    # ORs the stored vector (GIN) with the expression over these, each branch from its own index.
    "CREATE INDEX IF NOT EXISTS fact_search_pending_idx ON analysis_fact (run_id) WHERE search_vector IS NULL",
]
BACKWARD_SQL = [
    "DROP INDEX IF EXISTS fact_search_vector_gin",
    "DROP INDEX IF EXISTS fact_search_pending_idx",
    "CREATE INDEX IF NOT EXISTS fact_search_gin ON analysis_fact USING gin "
    "(to_tsvector('english'::regconfig, COALESCE(item, '') || ' ' || COALESCE(evidence, '')))",
]


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("analysis", "0011_step_input_fingerprint_and_fresh_runs")]

    operations = [
        migrations.RemoveIndex(model_name="fact", name="fact_run_domain_idx"),
        migrations.AddField(
            model_name="fact",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="fact",
            index=models.Index(
                fields=["run", "domain", "entity", "category", "id"], include=["deleted_at"], name="fact_run_list_order_idx"
            ),
        ),
        PostgresOnlySQL(FORWARD_SQL, reverse_sql=BACKWARD_SQL),
    ]
