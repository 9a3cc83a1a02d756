"""What a step reads: the run's manifest pages, and the run's saved facts and gaps."""
from __future__ import annotations

from dealiq.schemas import DealContext, FactRecord, GapRecord, SourcePage
from deals.models import DocumentPage

from ..models import AnalysisRun, Fact, Gap


def deal_context(run: AnalysisRun) -> DealContext:
    deal = run.deal
    return DealContext(
        name=deal.name,
        deal_type=deal.deal_type,
        target_name=deal.target_name,
        buyer_name=deal.buyer_name,
        industry=deal.industry,
        reference_date=deal.reference_date,
    )


def manifest_pages(run: AnalysisRun, entity: str) -> list[SourcePage]:
    """The pages of the documents the run's manifest lists for `entity`, in a stable order."""
    docs = {d["id"]: d for d in run.document_manifest if d["entity"] == entity}
    pages = (
        DocumentPage.objects.filter(document_id__in=docs)
        .order_by("document__filename", "document_id", "number")
        .values_list("document_id", "number", "text")
    )
    return [
        SourcePage(document_id=doc_id, page_number=number, text=text, filename=docs[doc_id]["filename"], entity=entity)
        for doc_id, number, text in pages
    ]


def fact_records(run: AnalysisRun, domain: str | None = None) -> list[FactRecord]:
    """The domain's facts; without a domain, the whole deal's (every domain, in a stable order: the
    reasoning steps' shared prompt prefix is built from them)."""
    rows = Fact.objects.for_run(run)
    rows = rows.for_domain(domain).order_by("entity", "category", "key") if domain else rows.order_by(
        "domain", "entity", "category", "key"
    )
    return [FactRecord.of(f, ref=f"F{f.pk}") for f in rows]


def gap_records(run: AnalysisRun, domain: str | None = None) -> list[GapRecord]:
    rows = Gap.objects.for_run(run)
    rows = rows.for_domain(domain).order_by("entity", "category", "key") if domain else rows.order_by(
        "domain", "entity", "category", "key"
    )
    return [GapRecord(g.key, g.entity, g.domain, g.category, g.description, g.importance) for g in rows]


# The inputs of a step's request, in one place: the executor builds its DiscoveryRequest /
# ReasoningRequest from exactly these, and the input fingerprint (services/reuse.py) hashes exactly
# these, so what a step reads and what decides whether it may reuse an earlier result never drift apart.


def discovery_inputs(run: AnalysisRun, domain: str, entity: str) -> dict:
    """The data fields of a DiscoveryRequest (deal, domain, entity, pages)."""
    return {"deal": deal_context(run), "domain": domain, "entity": entity, "pages": manifest_pages(run, entity)}


def reasoning_inputs(run: AnalysisRun, domain: str, *, deal_wide: bool = False) -> dict:
    """The data fields of a ReasoningRequest (deal, domain, facts, gaps; with `deal_wide`, for an engine
    that reasons with the whole deal as context, every domain's facts and gaps of both parties too)."""
    data = {
        "deal": deal_context(run),
        "domain": domain,
        "facts": fact_records(run, domain),
        "gaps": gap_records(run, domain),
    }
    if deal_wide:
        data["deal_facts"] = fact_records(run)
        data["deal_gaps"] = gap_records(run)
    return data


def step_inputs(run: AnalysisRun, domain: str, kind: str, *, deal_wide: bool = False) -> dict:
    from ..models import DISCOVERY_ENTITY, StepKind

    if kind == StepKind.REASON:
        return reasoning_inputs(run, domain, deal_wide=deal_wide)
    return discovery_inputs(run, domain, DISCOVERY_ENTITY[StepKind(kind)])
