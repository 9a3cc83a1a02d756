"""Correcting the data room: withdraw a wrong upload (and restore it), move a document to the other entity.

One home each, each recording its audit event in its own transaction. A withdrawn document is kept — earlier
runs cite it and the audit trail names it — but no run started afterwards reads it (see
DocumentQuerySet.newest_readable). Runs already started keep the manifest they were started with.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import record_event

from .models import Document, Entity


class CurationError(Exception):
    """The change does not apply; the message says why in the analyst's words."""


def withdraw_document(document: Document, user, reason: str) -> Document:
    reason = (reason or "").strip()
    if not reason:
        raise CurationError("Say why the document is withdrawn (the audit trail keeps the reason).")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.is_withdrawn:
            raise CurationError(f"{document.filename} v{document.version} is already withdrawn.")
        document.withdrawn_at = timezone.now()
        document.withdrawn_by = user if getattr(user, "is_authenticated", False) else None
        document.withdrawal_reason = reason
        document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record_event("document.withdrawn", actor=user, deal=document.deal_id, obj=document,
                     data={"document": _label(document), "entity": document.entity, "reason": reason})
    return document


def restore_document(document: Document, user=None) -> Document:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if not document.is_withdrawn:
            raise CurationError(f"{document.filename} v{document.version} is not withdrawn.")
        document.withdrawn_at = None
        document.withdrawn_by = None
        document.withdrawal_reason = ""
        document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record_event("document.restored", actor=user, deal=document.deal_id, obj=document,
                     data={"document": _label(document)})
    return document


def move_to_entity(document: Document, entity: str, user=None) -> list[Document]:
    """Move the document — every version of its name, since versions are one document — to `entity`.
    Refused when the other entity already holds a document of that name (the versions would clash)."""
    if entity not in Entity.values:
        raise CurationError(f"The entity is target or buyer, not {entity!r}.")
    if entity == document.entity:
        raise CurationError(f"{document.filename} already belongs to the {Entity(entity).label.lower()}.")
    with transaction.atomic():
        versions = list(Document.objects.versions_of(document).select_for_update())
        if Document.objects.filter(deal_id=document.deal_id, entity=entity, filename=document.filename).exists():
            raise CurationError(
                f"The {Entity(entity).label.lower()} already has a document named {document.filename}: "
                "withdraw one of them or upload under another name."
            )
        Document.objects.filter(pk__in=[v.pk for v in versions]).update(entity=entity)
        record_event("document.entity_changed", actor=user, deal=document.deal_id, obj=document,
                     data={"document": document.filename, "from": document.entity, "to": entity,
                           "versions": sorted(v.version for v in versions)})
    return list(Document.objects.versions_of(Document.objects.get(pk=document.pk)))


def _label(document: Document) -> str:
    return f"{document.filename} v{document.version}"
