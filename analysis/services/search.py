"""Full-text search over facts (item + evidence), in SQL.

PostgreSQL: `SearchVector("item", "evidence", config="english")` renders exactly the expression of the
GIN index in migration 0002 (`to_tsvector('english', coalesce(item,'') || ' ' || coalesce(evidence,''))`),
so the planner can use the index; the query is parsed with websearch syntax ("quoted phrase", -not, or).
SQLite (embedded default): a simple case-insensitive substring match on each word.
"""
from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

FACT_SEARCH_VECTOR_FIELDS = ("item", "evidence")
SEARCH_CONFIG = "english"


def fact_search_vector() -> SearchVector:
    return SearchVector(*FACT_SEARCH_VECTOR_FIELDS, config=SEARCH_CONFIG)


def _words_q(fields: tuple[str, ...], text: str) -> Q:
    condition = Q()
    for word in text.split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


def search_facts(qs: QuerySet, text: str) -> QuerySet:
    text = (text or "").strip()
    if not text:
        return qs
    if connection.vendor == "postgresql":
        return qs.annotate(search=fact_search_vector()).filter(
            search=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        )
    return qs.filter(_words_q(FACT_SEARCH_VECTOR_FIELDS, text))


def search_text(qs: QuerySet, fields: tuple[str, ...], text: str) -> QuerySet:
    """Gaps and findings: a run has at most a few hundred, so a substring match per word is enough."""
    text = (text or "").strip()
    return qs.filter(_words_q(fields, text)) if text else qs
