"""Tests of the plain-Python engine package (no database). Small builders shared by the test modules."""
from __future__ import annotations

import datetime as dt

from dealiq.schemas import DealContext, DiscoveryRequest, DiscoveryResult, SourcePage

REFERENCE_DATE = dt.date(2026, 11, 23)


def deal(deal_type: str = "carve_out", reference_date: dt.date = REFERENCE_DATE) -> DealContext:
    return DealContext(
        name="Test deal", deal_type=deal_type, target_name="Target Co", buyer_name="Buyer Co", reference_date=reference_date
    )


def page(text: str, filename: str = "doc.md", entity: str = "target", document_id: int = 1, number: int = 1) -> SourcePage:
    return SourcePage(document_id, number, text, filename, entity)


def discover(engine, domain: str, *texts: str, entity: str = "target", deal_type: str = "carve_out",
             reference_date: dt.date = REFERENCE_DATE) -> DiscoveryResult:
    """Discovery over one page per text (document ids 1, 2, …)."""
    pages = [page(text, f"doc{i}.md", entity, document_id=i) for i, text in enumerate(texts, 1)]
    return engine.discover(DiscoveryRequest(deal=deal(deal_type, reference_date), domain=domain, entity=entity, pages=pages))


def items(result: DiscoveryResult) -> list[str]:
    return [f.item for f in result.facts]
