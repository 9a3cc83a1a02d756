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
    return [
        FactRecord(
            key=f.key,
            entity=f.entity,
            domain=f.domain,
            category=f.category,
            item=f.item,
            details=f.details,
            evidence=f.evidence,
            document_id=f.document_id,
            pages=tuple(f.pages or ()),
            ref=f"F{f.pk}",
        )
        for f in rows
    ]


def gap_records(run: AnalysisRun, domain: str | None = None) -> list[GapRecord]:
    rows = Gap.objects.for_run(run)
    rows = rows.for_domain(domain).order_by("entity", "category", "key") if domain else rows.order_by(
        "domain", "entity", "category", "key"
    )
    return [GapRecord(g.key, g.entity, g.domain, g.category, g.description, g.importance) for g in rows]
