"""Small generated deals for pipeline tests: a couple of one-page documents each, no file parsing."""
from __future__ import annotations

import hashlib

from deals.models import Deal, Document, DocumentPage, DocumentStatus


def make_small_deal(name: str, *, pages: dict[str, list[str]] | None = None) -> Deal:
    """pages: entity → page texts, one document per entity (default: one short page each)."""
    pages = pages or {
        "target": [f"{name} target runs SAP ECC 6.0 on premises with Windows Server 2012 R2."],
        "buyer": [f"{name} buyer standardises on Microsoft 365 and Entra ID with Okta SSO."],
    }
    deal = Deal.objects.create(name=name, target_name=f"{name} Target", buyer_name=f"{name} Buyer")
    for entity, texts in pages.items():
        digest = hashlib.sha256(f"{name}|{entity}|{texts}".encode()).hexdigest()
        document = Document.objects.create(
            deal=deal, entity=entity, filename=f"{entity}-overview.txt", sha256=digest, size=sum(map(len, texts)),
            status=DocumentStatus.EXTRACTED, page_count=len(texts),
        )
        DocumentPage.objects.bulk_create(
            [DocumentPage(document=document, number=i, text=text) for i, text in enumerate(texts, 1)]
        )
    return deal
