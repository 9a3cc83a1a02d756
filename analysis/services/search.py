"""Full-text search over facts (item + evidence), in SQL.

PostgreSQL: `Fact.search_vector` holds `to_tsvector('english', coalesce(item,'') || ' ' ||
coalesce(evidence,''))`, filled for a whole run by one UPDATE at finalize (`index_run_facts`), not at
insert — the step's save never pays for `to_tsvector` (measured in bench/bench_persist.py). Its GIN
index is partial (NOT NULL), so a fresh row costs the index nothing. Rows not filled yet (a run still
in progress, a step rewritten after finalize) match on the same expression computed on the fly, so a
search is always complete. The query is parsed with websearch syntax ("quoted phrase", -not, or).
SQLite (embedded default): a simple case-insensitive substring match on each word.
"""
from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

FACT_SEARCH_VECTOR_FIELDS = ("item", "evidence")
SEARCH_CONFIG = "english"


def fact_search_vector() -> SearchVector:
    """The expression `search_vector` stores (migration 0010 fills existing rows with the same SQL)."""
    return SearchVector(*FACT_SEARCH_VECTOR_FIELDS, config=SEARCH_CONFIG)


def index_run_facts(run_id: int) -> int:
    """Fill `search_vector` of the run's facts that lack it, in one UPDATE (finalize calls it)."""
    if connection.vendor != "postgresql":
        return 0
    from ..models import Fact

    return Fact.all_objects.filter(run_id=run_id, search_vector__isnull=True).update(
        search_vector=fact_search_vector()
    )


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
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        # `IS NULL` first (PostgreSQL evaluates an AND in the written order): the expression is computed
        # only for rows not filled yet, never for the others.
        return qs.alias(search_fallback=fact_search_vector()).filter(
            Q(search_vector=query) | (Q(search_vector__isnull=True) & Q(search_fallback=query))
        )
    return qs.filter(_words_q(FACT_SEARCH_VECTOR_FIELDS, text))


def search_text(qs: QuerySet, fields: tuple[str, ...], text: str) -> QuerySet:
    """Gaps and findings: a run has at most a few hundred, so a substring match per word is enough."""
    text = (text or "").strip()
    return qs.filter(_words_q(fields, text)) if text else qs
