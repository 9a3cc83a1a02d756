"""Extraction in the worker task (real-worker mode): the upload stores `pending`, the task decides."""
from __future__ import annotations

import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from analysis.services.runs import RunStateError, create_run
from deals import ingestion
from deals.ingestion import store_document
from deals.models import Document, DocumentStatus, Role
from tests.support import file_bytes
from workers.document_tasks import extract_document, finish_upload

from ..support.worker import RealStack, require_real_stack
from .conftest import outcomes


@pytest.mark.django_db
def test_deferred_upload_stores_pending_and_the_task_marks_extracted_or_failed(
    client, deal, member, upload, settings, django_capture_on_commit_callbacks
):
    settings.DEALIQ_DOCUMENT_EXTRACT_INLINE = False
    client.force_login(member(deal, Role.ANALYST))
    files = [
        ("plan.pdf", file_bytes.pdf("Cloud migration to Azure planned for 2026.")),
        ("broken.pdf", file_bytes.corrupt_pdf()),
        ("empty.txt", b""),  # refused before storing, even when deferred
    ]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(deal, "target", files)
    results = outcomes(response)
    assert results["plan.pdf"] == ("stored", "text extraction queued")
    assert results["broken.pdf"] == ("stored", "text extraction queued")
    assert results["empty.txt"][0] == "rejected"
    assert set(Document.objects.values_list("status", flat=True)) == {DocumentStatus.PENDING}
    with pytest.raises(RunStateError, match="no readable documents"):  # a run never reads pending documents
        create_run(deal, engine="offline")
    assert len(queued) == 2

    for callback in queued:  # what the worker does when the messages arrive (eager Celery)
        callback()
    plan, broken = Document.objects.get(filename="plan.pdf"), Document.objects.get(filename="broken.pdf")
    assert (plan.status, plan.page_count, plan.error) == (DocumentStatus.EXTRACTED, 1, "")
    assert (broken.status, broken.error) == (DocumentStatus.FAILED, "the PDF is damaged and cannot be read")
    assert [m["filename"] for m in create_run(deal, engine="offline").document_manifest] == ["plan.pdf"]
    # A redelivered message finds the document settled and changes nothing.
    assert extract_document(plan.pk) == DocumentStatus.EXTRACTED
    assert plan.pages.count() == 1


@pytest.mark.django_db
def test_extraction_past_the_soft_time_limit_fails_the_document_readably(deal, monkeypatch, settings):
    doc = store_document(deal, "target", "huge.txt", b"lots of text", extract_inline=False).document

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(ingestion, "extract_document", too_slow)
    assert extract_document(doc.pk) == DocumentStatus.FAILED
    doc.refresh_from_db()
    assert doc.error.startswith(f"text extraction took longer than {settings.DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT} seconds")
    assert extract_document.soft_time_limit == settings.DEALIQ_DOCUMENT_EXTRACT_SOFT_TIME_LIMIT
    assert extract_document.time_limit == settings.DEALIQ_DOCUMENT_EXTRACT_TIME_LIMIT


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_extracts_uploaded_documents(deal, settings):
    require_real_stack()
    settings.DEALIQ_DOCUMENT_EXTRACT_INLINE = False
    results = [
        store_document(deal, "target", "plan.pdf", file_bytes.pdf("Cloud migration to Azure.", "Budget 2 MEUR.")),
        store_document(deal, "target", "tool.pdf", file_bytes.windows_exe()),
    ]
    with RealStack() as stack:
        worker = stack.start_worker(concurrency=2)
        finish_upload(results, deal=deal, source="test")  # autocommit: the messages go out at once
        deadline = time.monotonic() + 60
        while Document.objects.filter(status=DocumentStatus.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        statuses = dict(Document.objects.values_list("filename", "status"))
        assert statuses == {"plan.pdf": "extracted", "tool.pdf": "failed"}, worker.log_tail()
    assert Document.objects.get(filename="plan.pdf").pages.count() == 2
    assert Document.objects.get(filename="tool.pdf").error == "the content is a Windows executable, not a PDF"


@pytest.mark.django_db
def test_a_failed_document_can_be_requeued_after_raising_a_limit(deal, settings, django_capture_on_commit_callbacks):
    from workers.document_tasks import requeue_extraction

    settings.DEALIQ_DOCUMENT_MAX_CHARS = 20
    doc = store_document(deal, "target", "policy.txt", b"Backups run nightly to a second site.", extract_inline=False).document
    assert extract_document(doc.pk) == DocumentStatus.FAILED
    doc.refresh_from_db()
    assert "more than 20 characters" in doc.error

    settings.DEALIQ_DOCUMENT_MAX_CHARS = 10_000
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_extraction(Document.objects.filter(pk=doc.pk)) == 1
    doc.refresh_from_db()
    assert (doc.status, doc.error, doc.page_count) == (DocumentStatus.EXTRACTED, "", 1)


@pytest.mark.django_db
def test_admin_action_requeues_failed_documents(client, deal, make_user, settings, django_capture_on_commit_callbacks):
    from django.urls import reverse

    settings.DEALIQ_DOCUMENT_MAX_CHARS = 5
    doc = store_document(deal, "target", "note.txt", b"A longer note.", extract_inline=False).document
    extract_document(doc.pk)
    settings.DEALIQ_DOCUMENT_MAX_CHARS = 10_000
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:deals_document_changelist"),
            {"action": "requeue_extraction", "_selected_action": [doc.pk]},
            follow=True,
        )
    assert "Text extraction queued again for 1 document(s)." in response.content.decode()
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.EXTRACTED
