"""In-app notifications for the user who started a run or a batch, and the webhook payloads.

Sending the webhook is the pipeline's job (workers/webhooks.py, a Celery task with its own retries):
this module only says what to tell whom.
"""
from __future__ import annotations

from django.utils import timezone

from ..models import AnalysisBatch, AnalysisRun, Notification, RunStatus


def run_payload(run: AnalysisRun) -> dict:
    return {
        "event": f"run.{run.status}",
        "deal_id": run.deal_id,
        "deal": run.deal.name,
        "run_id": run.pk,
        "run_number": run.number,
        "status": run.status,
        "error": run.error,
        "facts": run.fact_count,
        "gaps": run.gap_count,
        "findings": run.finding_count,
        "cost": str(run.cost),
        "batch_id": run.batch_id,
        "completed_at": run.completed_at.isoformat() if run.completed_at else None,
    }


def batch_payload(batch: AnalysisBatch) -> dict:
    return {
        "event": "batch.finished",
        "batch_id": batch.pk,
        "name": batch.name,
        "status": batch.status,
        "counts": batch.counts,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }


def notify_run_finished(run: AnalysisRun) -> Notification | None:
    """Tell whoever triggered the run (runs of a batch are reported once, with the batch)."""
    if run.triggered_by_id is None or run.batch_id is not None or run.status == RunStatus.CANCELLED:
        return None
    if run.status == RunStatus.COMPLETED:
        message = (
            f"Run {run.number} of {run.deal.name} completed: {run.fact_count} facts, {run.gap_count} gaps, "
            f"{run.finding_count} findings."
        )
    else:
        message = f"Run {run.number} of {run.deal.name} {run.status}: {run.error or 'no error recorded'}"
    return Notification.objects.create(
        user_id=run.triggered_by_id, deal_id=run.deal_id, run=run, kind=f"run.{run.status}", message=message[:2000]
    )


def notify_batch_finished(batch: AnalysisBatch) -> Notification | None:
    if batch.created_by_id is None:
        return None
    counts = batch.counts or {}
    message = (
        f"Batch {batch.name} finished ({batch.get_status_display().lower()}): "
        f"{counts.get('completed', 0)} completed, {counts.get('failed', 0)} failed, "
        f"{counts.get('cancelled', 0)} cancelled of {counts.get('total', 0)}."
    )
    return Notification.objects.create(
        user_id=batch.created_by_id, batch=batch, kind="batch.finished", message=message
    )


def mark_read(user, notification_ids) -> int:
    return Notification.objects.for_user(user).unread().filter(pk__in=notification_ids).update(read_at=timezone.now())
