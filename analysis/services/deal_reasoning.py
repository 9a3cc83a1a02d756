"""The deal-level reasoning step: dealiq.reasoning over every fact of the run (both entities, all
domains), once every domain's steps are done. Runs inside finalize, under the run lock; its findings are
upserted like a reason step's (same keys → same rows), so finalizing twice writes nothing new."""
from __future__ import annotations

from dealiq.reasoning import reason_deal
from dealiq.schemas import FactRecord, GapRecord, ReasoningResult

from ..models import AnalysisRun, Fact, Gap
from .inputs import deal_context
from .persist import upsert_reasoning


def run_fact_records(run: AnalysisRun) -> list[FactRecord]:
    rows = Fact.objects.for_run(run).order_by("domain", "entity", "category", "key")
    return [
        FactRecord(
            key=f.key, entity=f.entity, domain=f.domain, category=f.category, item=f.item, details=f.details or {},
            evidence=f.evidence, document_id=f.document_id, pages=tuple(f.pages or ()), ref=f"F{f.pk}",
        )
        for f in rows
    ]


def run_gap_records(run: AnalysisRun) -> list[GapRecord]:
    rows = Gap.objects.for_run(run).order_by("domain", "entity", "category", "key")
    return [GapRecord(g.key, g.entity, g.domain, g.category, g.description, g.importance) for g in rows]


def reason_over_deal(run: AnalysisRun, domains: list[str] | None = None) -> dict[str, int]:
    """Upsert the layer's findings, kept to `domains` (default: the run's domains)."""
    wanted = run.domains if domains is None else domains
    findings = reason_deal(deal_context(run), run_fact_records(run), run_gap_records(run), domains=wanted)
    return upsert_reasoning(run, "", ReasoningResult(findings=findings))
