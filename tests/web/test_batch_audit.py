"""A finished batch that runs again (a failed run re-queued) says so in the audit trail, once."""
from __future__ import annotations

import pytest

from analysis.models import AnalysisBatch, AnalysisRun, BatchStatus, RunStatus
from analysis.services.batches import refresh_batch
from analysis.services.runs import create_run
from audit.models import AuditEvent
from tests.factories import make_deal

pytestmark = pytest.mark.django_db


def test_reopening_a_finished_batch_is_audited_once():
    batch = AnalysisBatch.objects.create(name="overnight")
    run = create_run(make_deal(), engine="offline", needs_documents=False)
    # Test set-up of the run's state (the transitions themselves are tested in tests/pipeline).
    AnalysisRun.objects.filter(pk=run.pk).update(batch=batch, status=RunStatus.FAILED)
    assert refresh_batch(batch.pk) is True
    assert AuditEvent.objects.filter(event_type="batch.finished").count() == 1

    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)  # re-queued
    assert refresh_batch(batch.pk) is False
    assert refresh_batch(batch.pk) is False  # still running: not reopened twice
    batch.refresh_from_db()
    assert (batch.status, batch.finished_at, batch.counts[RunStatus.QUEUED]) == (BatchStatus.RUNNING, None, 1)
    [reopened] = AuditEvent.objects.filter(event_type="batch.reopened")
    assert (reopened.object_type, reopened.object_id, reopened.data["queued"]) == ("AnalysisBatch", str(batch.pk), 1)
