"""Upserting an engine's results into a run: (run, key) is unique, so writing twice never duplicates."""
from __future__ import annotations

from django.db import connection, models

from dealiq.schemas import DiscoveryResult, ReasoningResult

from ..models import CONTENT_FIELDS, AnalysisRun, Fact, FactFindingLink, Finding, Gap
from .verification import carry_forward_verifications

# search_vector: a rewritten fact's is set back to NULL (the value of the new row) until the next finalize.
FACT_UPDATE_FIELDS = [*CONTENT_FIELDS["facts"], "search_vector"]
GAP_UPDATE_FIELDS = list(CONTENT_FIELDS["gaps"])
FINDING_UPDATE_FIELDS = list(CONTENT_FIELDS["findings"])


def _bulk_upsert(model, rows: list[dict], update_fields: list[str]) -> None:
    """INSERT … ON CONFLICT (run, key) DO UPDATE of `rows` (attname → value; the other fields take their
    defaults), in one statement.

    PostgreSQL: psycopg2 renders the rows (`mogrify`, as `execute_values` does) from plain tuples — no
    model instance and no per-value `get_db_prep_save`, which with Django's bulk_create made a
    20,000-fact save several times slower than the raw upsert (bench/bench_persist.py). JSON fields are
    wrapped once per value; everything else is a type psycopg2 adapts itself. Elsewhere (SQLite):
    model instances and bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create([model(**row) for row in rows], update_conflicts=True,
                                        unique_fields=["run", "key"], update_fields=update_fields)
        return
    from psycopg2.extras import Json

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}  # one created_at for the batch, like one save
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    updates = [model._meta.get_field(name).column for name in update_fields]
    template = "(" + ", ".join(["%s"] * len(fields)) + ")"

    def value(row, name):
        v = row.get(name, defaults[name])
        return Json(v) if name in json_fields and v is not None else v

    with connection.cursor() as cursor:
        mogrify = cursor.cursor.mogrify  # psycopg2's own cursor renders; the statement goes through Django's
        values = b",".join(mogrify(template, [value(row, n) for n in names]) for row in rows).decode()
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {values} ON CONFLICT ({quote('run_id')}, {quote('key')}) DO UPDATE SET "
            + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in updates)
        )


def _dedupe_by_key(items) -> dict[str, object]:
    """key → the first item with it (one engine answer may name the same thing twice); each key computed once."""
    seen: dict[str, object] = {}
    for item in items:
        seen.setdefault(item.key, item)
    return seen


def upsert_discovery(run: AnalysisRun, result: DiscoveryResult) -> dict[str, int]:
    base = {"run_id": run.pk, "deal_id": run.deal_id}
    facts = _dedupe_by_key(result.facts)
    gaps = _dedupe_by_key(result.gaps)
    _bulk_upsert(Fact, [
        {**base, "key": key, "entity": f.entity, "domain": f.domain, "category": f.category, "item": f.item,
         "details": f.details, "evidence": f.evidence, "document_id": f.document_id, "pages": f.pages,
         "confidence": f.confidence}
        for key, f in facts.items()
    ], FACT_UPDATE_FIELDS)
    _bulk_upsert(Gap, [
        {**base, "key": key, "entity": g.entity, "domain": g.domain, "category": g.category,
         "description": g.description, "importance": g.importance, "suggested_sources": g.suggested_sources,
         "evidence": g.evidence, "document_id": g.document_id, "pages": g.pages}
        for key, g in gaps.items()
    ], GAP_UPDATE_FIELDS)
    # Same transaction as the upsert: analysts' decisions of earlier runs reach these rows atomically.
    carry_forward_verifications(run, list(facts), list(gaps))
    return {"facts": len(facts), "gaps": len(gaps), "dropped_ungrounded": result.dropped_ungrounded}


def upsert_reasoning(run: AnalysisRun, domain: str, result: ReasoningResult) -> dict[str, int]:
    items = list(_dedupe_by_key(result.findings).values())
    findings = [
        Finding(
            run=run,
            deal_id=run.deal_id,
            key=f.key,
            finding_type=f.finding_type,
            domain=f.domain,
            title=f.title[:300],
            description=f.description,
            reasoning=f.reasoning,
            severity=f.severity,
            phase=f.phase,
            cost_low=f.cost_low,
            cost_high=f.cost_high,
            currency=f.currency,
            mitigation=f.mitigation,
            details=f.details,
        )
        for f in items
    ]
    Finding.objects.bulk_create(
        findings, update_conflicts=True, unique_fields=["run", "key"], update_fields=FINDING_UPDATE_FIELDS
    )
    finding_ids = dict(Finding.objects.for_run(run).filter(key__in=[f.key for f in items]).values_list("key", "id"))
    wanted_fact_keys = {link.fact_key for f in items for link in f.links}
    fact_ids = dict(Fact.objects.for_run(run).filter(key__in=wanted_fact_keys).values_list("key", "id"))
    links = []
    dropped = result.dropped_links
    for f in items:
        for link in f.links:
            fact_id = fact_ids.get(link.fact_key)
            if fact_id is None:
                dropped += 1
                continue
            links.append(FactFindingLink(fact_id=fact_id, finding_id=finding_ids[f.key], link_type=link.link_type))
    FactFindingLink.objects.bulk_create(links, ignore_conflicts=True)
    return {"findings": len(findings), "links": len(links), "dropped_links": dropped}
