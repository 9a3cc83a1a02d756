"""Batches of runs (an overnight analysis of many deals): creating one, keeping its counts, its progress.

The counts are recomputed from the runs (one GROUP BY), never incremented, so they cannot drift; the
status transition to finished is a conditional UPDATE, so the "batch finished" event happens once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audit.models import EventSeverity
from audit.services import record_event

from ..models import AnalysisBatch, AnalysisRun, BatchStatus, Priority, RunStatus


@dataclass
class BatchStart:
    batch: AnalysisBatch
    runs: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # deals without extracted documents


@dataclass(frozen=True)
class BatchProgress:
    total: int
    done: int
    running: int
    failed: int
    queued: int
    cancelled: int
    expected_finish: dt.datetime | None

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.cancelled

    @property
    def percent(self) -> int:
        return self.finished * 100 // self.total if self.total else 100


def create_batch(*, name: str, created_by=None, priority: str = Priority.NORMAL) -> AnalysisBatch:
    batch = AnalysisBatch.objects.create(
        name=name,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        priority=Priority(priority),
    )
    record_event(
        "batch.created",
        actor=created_by,
        obj=batch,
        data={"name": name, "priority": priority},
    )
    return batch


def run_counts(batch_id: int) -> dict[str, int]:
    counts = {status: 0 for status in RunStatus.values}
    rows = AnalysisRun.objects.filter(batch_id=batch_id).values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts[s] for s in RunStatus.values)
    return counts


def _status_for(counts: dict[str, int]) -> str:
    if counts[RunStatus.QUEUED] or counts[RunStatus.RUNNING]:
        return BatchStatus.RUNNING
    if counts["total"] and counts[RunStatus.CANCELLED] == counts["total"]:
        return BatchStatus.CANCELLED
    if counts[RunStatus.FAILED] or counts[RunStatus.CANCELLED]:
        return BatchStatus.COMPLETED_WITH_FAILURES
    return BatchStatus.COMPLETED


def refresh_batch(batch_id: int) -> bool:
    """Recount the batch's runs and move its status. True when this call finished the batch.

    Counted under the batch row lock: two runs finishing together cannot write their counts in the
    wrong order (the later count always sees the earlier run's commit)."""
    with transaction.atomic():
        AnalysisBatch.objects.select_for_update().filter(pk=batch_id).first()
        counts = run_counts(batch_id)
        status = _status_for(counts)
        if status == BatchStatus.RUNNING:
            # A finished batch whose failed run was re-queued runs again: said once, by the call that
            # reopens it (the conditional UPDATE), like "batch.finished".
            reopened = AnalysisBatch.objects.filter(pk=batch_id).exclude(status=BatchStatus.RUNNING).update(
                counts=counts, status=status, finished_at=None
            )
            if reopened:
                record_event("batch.reopened", object_type="AnalysisBatch", object_id=batch_id, data=dict(counts))
            else:
                AnalysisBatch.objects.filter(pk=batch_id).update(counts=counts)
            return False
        finished = AnalysisBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING).update(
            counts=counts, status=status, finished_at=timezone.now()
        )
        if not finished:
            AnalysisBatch.objects.filter(pk=batch_id).update(counts=counts, status=status)
            return False
        batch = AnalysisBatch.objects.get(pk=batch_id)
        record_event(
            "batch.finished",
            obj=batch,
            severity=EventSeverity.INFO if status == BatchStatus.COMPLETED else EventSeverity.WARNING,
            data={"status": status, **counts},
        )
    return True


def batch_progress(batch: AnalysisBatch, *, now: dt.datetime | None = None) -> BatchProgress:
    """Live counts from the runs, and when the batch should finish at the pace it has kept so far."""
    counts = run_counts(batch.pk)
    now = now or timezone.now()
    finished = counts[RunStatus.COMPLETED] + counts[RunStatus.FAILED] + counts[RunStatus.CANCELLED]
    remaining = counts["total"] - finished
    expected = None
    if remaining and finished:
        elapsed = (now - batch.created_at).total_seconds()
        expected = now + dt.timedelta(seconds=elapsed / finished * remaining)
    return BatchProgress(
        total=counts["total"],
        done=counts[RunStatus.COMPLETED],
        running=counts[RunStatus.RUNNING],
        failed=counts[RunStatus.FAILED],
        queued=counts[RunStatus.QUEUED],
        cancelled=counts[RunStatus.CANCELLED],
        expected_finish=expected,
    )
