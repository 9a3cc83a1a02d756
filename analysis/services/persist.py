"""Upserting an engine's results into a run: (run, key) is unique, so writing twice never duplicates."""
from __future__ import annotations

from dealiq.schemas import DiscoveryResult, ReasoningResult

from ..models import AnalysisRun, Fact, FactFindingLink, Finding, Gap
from .verification import carry_forward_verifications

# search_vector: a rewritten fact's is set back to NULL (the value of the new row) until the next finalize.
FACT_UPDATE_FIELDS = ["category", "item", "details", "evidence", "document", "pages", "confidence", "search_vector"]
GAP_UPDATE_FIELDS = ["category", "description", "importance", "suggested_sources", "evidence", "document", "pages"]
FINDING_UPDATE_FIELDS = [
    "finding_type",
    "title",
    "description",
    "reasoning",
    "severity",
    "phase",
    "cost_low",
    "cost_high",
    "currency",
    "mitigation",
    "details",
]


def _dedupe_by_key(items):
    """Keep the first item per key: one engine answer may name the same thing twice."""
    seen: dict[str, object] = {}
    for item in items:
        seen.setdefault(item.key, item)
    return list(seen.values())


def upsert_discovery(run: AnalysisRun, result: DiscoveryResult) -> dict[str, int]:
    facts = [
        Fact(
            run=run,
            deal_id=run.deal_id,
            key=f.key,
            entity=f.entity,
            domain=f.domain,
            category=f.category,
            item=f.item,
            details=f.details,
            evidence=f.evidence,
            document_id=f.document_id,
            pages=f.pages,
            confidence=f.confidence,
        )
        for f in _dedupe_by_key(result.facts)
    ]
    gaps = [
        Gap(
            run=run,
            deal_id=run.deal_id,
            key=g.key,
            entity=g.entity,
            domain=g.domain,
            category=g.category,
            description=g.description,
            importance=g.importance,
            suggested_sources=g.suggested_sources,
            evidence=g.evidence,
            document_id=g.document_id,
            pages=g.pages,
        )
        for g in _dedupe_by_key(result.gaps)
    ]
    Fact.all_objects.bulk_create(
        facts, update_conflicts=True, unique_fields=["run", "key"], update_fields=FACT_UPDATE_FIELDS
    )
    Gap.objects.bulk_create(gaps, update_conflicts=True, unique_fields=["run", "key"], update_fields=GAP_UPDATE_FIELDS)
    # Same transaction as the upsert: analysts' decisions of earlier runs reach these rows atomically.
    carry_forward_verifications(run, [f.key for f in facts], [g.key for g in gaps])
    return {"facts": len(facts), "gaps": len(gaps), "dropped_ungrounded": result.dropped_ungrounded}


def upsert_reasoning(run: AnalysisRun, domain: str, result: ReasoningResult) -> dict[str, int]:
    items = _dedupe_by_key(result.findings)
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
