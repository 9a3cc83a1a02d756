"""Document extraction in a worker, and what every upload does after storing its files.

`dealiq.extract_document` is thin: it calls deals.ingestion.extract_pending_document (the one home
of that state change) under soft/hard time limits from settings. A document that runs past the soft
limit is marked failed with a readable message; the hard limit is the backstop if even that hangs
(the document then stays `pending`, visible as such in the list, and can be re-queued from the admin).

`finish_upload` is called by the upload view and the import command alike: deals.ingestion.record_upload
writes the audit events, and it queues extraction for files stored `pending`.
"""
from __future__ import annotations

from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from deals.ingestion import (
    StoreResult,
    extract_pending_document,
    mark_extraction_failed,
    record_upload,
    reset_for_extraction,
)
from deals.models import DocumentStatus


@shared_task(
    name="dealiq.extract_document",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT,
    time_limit=settings.DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT,
)
def extract_document(document_id: int) -> str:
    try:
        return extract_pending_document(int(document_id))
    except SoftTimeLimitExceeded:
        return mark_extraction_failed(
            int(document_id),
            f"text extraction took longer than {settings.DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT} seconds, "
            "the limit; split the document or upload a smaller export",
        )


def dispatch_extraction(document_id: int) -> None:
    """Queue extraction once the document row is committed (a worker must find it)."""
    transaction.on_commit(partial(extract_document.delay, document_id))


def requeue_extraction(documents, *, actor=None) -> int:
    """Extract failed or stuck-pending documents again (after raising a limit, or a lost worker)."""
    ids = reset_for_extraction(documents, actor=actor)
    for document_id in ids:
        dispatch_extraction(document_id)
    return len(ids)


def finish_upload(results: list[StoreResult], *, deal, actor=None, source: str = "upload") -> None:
    """Audit every stored and refused file (deals' record_upload), queue the extraction of those stored
    `pending`."""
    record_upload(results, deal=deal, actor=actor, source=source)
    for result in results:
        if result.stored and result.document is not None and result.document.status == DocumentStatus.PENDING:
            dispatch_extraction(result.document.pk)
