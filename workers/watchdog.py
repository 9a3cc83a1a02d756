"""The periodic watchdog (celery beat, `dealiq.watchdog`): the fast path back for steps whose worker
died or whose message was lost. On Redis an unacknowledged message only returns after the visibility
timeout (an hour); this brings the run back within DEALIQ_HEARTBEAT_STALE_SECONDS + one interval.

For every queued or running run it looks at each unfinished domain's next step and asks the lifecycle
module whether it is lost (`lifecycle.why_lost`): claimed and no heartbeat, held by a worker that stopped
heartbeating, never sent, sent before the broker (Redis) last restarted, sent a while ago and neither in
the broker's queue nor held by a live worker (broker inspection), or — where the broker cannot be
inspected — sent longer ago than the visibility window without being received. A step
waiting its turn in a long queue is none of these, so it is never touched. Then, in one round:
- lost steps → back to pending, their domains sent again (every message a dead worker held, at once);
- every domain finished but the run never finalized → finalize sent again (not counted as a re-queue);
- after DEALIQ_MAX_AUTO_REQUEUES automatic re-queues → the run fails with reason "stalled".
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from analysis.models import ACTIVE_RUN_STATUSES, AnalysisRun
from analysis.services import lifecycle
from analysis.services.lifecycle import STALLED, all_domains_finished  # noqa: F401

from .ops.broker import app as celery_app
from .ops.broker import broker_started_at as broker_started
from .ops.broker import queued_messages, try_lock, unlock
from .pipeline import STEP_TASK, dispatch_finalize, recover_lost

logger = logging.getLogger("dealiq.watchdog")


def _resend_finalize_if_lost(run: AnalysisRun, now: dt.datetime, broker_started_at=None) -> bool:
    """Every domain finished: finalize was never asked for (a crash between the last commit and the
    fan-in) or its message went with a dead worker or a restarted broker. Finalize is idempotent, so a
    spare copy is harmless."""
    cutoff = lifecycle.stale_cutoff(now)
    if broker_started_at is not None and broker_started_at > cutoff:
        cutoff = broker_started_at
    if run.finalize_dispatched_at is not None and run.finalize_dispatched_at >= cutoff:
        return False
    claimed = AnalysisRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN_STATUSES).filter(
        Q(finalize_dispatched_at__isnull=True) | Q(finalize_dispatched_at__lt=cutoff)
    ).update(finalize_dispatched_at=now)
    if claimed:
        dispatch_finalize(run.pk, recovered=True)
    return bool(claimed)


def queue_inspector():
    """`queued(step)` from one look at the broker's queue (None when the broker cannot be inspected)."""
    messages = queued_messages(celery_app.conf.task_default_queue)
    if messages is None:
        return None
    return lambda step: (STEP_TASK[step.kind], (step.run_id, step.domain)) in messages


def check_stalled_runs(now: dt.datetime | None = None) -> dict:
    """One round; rounds never overlap (a backlog of watchdog messages after an outage runs one at a time)."""
    if not try_lock("watchdog", 60):
        return {"requeued": [], "finalized": [], "failed": [], "skipped": "another round is running"}
    try:
        return _check_stalled_runs(now)
    finally:
        unlock("watchdog")


def _check_stalled_runs(now: dt.datetime | None = None) -> dict:
    report = {"requeued": [], "finalized": [], "failed": []}
    broker_started_at = broker_started()
    queued = queue_inspector()  # before reading the steps: a message taken since is stamped as held
    now = now or timezone.now()
    for run in AnalysisRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).order_by("id"):
        if all_domains_finished(run):
            if _resend_finalize_if_lost(run, now, broker_started_at):
                report["finalized"].append(run.pk)
            continue
        lost = lifecycle.lost_frontier_steps(run, now, broker_started_at, queued)
        if not lost:
            continue
        if run.auto_requeue_count >= settings.DEALIQ_MAX_AUTO_REQUEUES:
            if lifecycle.fail_stalled(run, lost):
                report["failed"].append(run.pk)
            continue
        if recover_lost(run, lost).changed:
            report["requeued"].append(run.pk)
    if any(report.values()):
        logger.warning("watchdog acted: %s", report)
    return report
