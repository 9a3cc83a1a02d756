"""The periodic watchdog (celery beat, `dealiq.watchdog`): the fast path back for steps whose worker
died or whose message was lost. On Redis an unacknowledged message only returns after the visibility
timeout (an hour); this brings the run back within DEALIQ_HEARTBEAT_STALE_SECONDS.

For every running run:
- steps `running` with a stale heartbeat (their worker is gone) → reset to pending, their domains re-sent;
- no step running and the run's heartbeat stale (messages lost; retry and rate-limit waits push the
  heartbeat forward, so they do not count) → every unsettled domain re-sent;
- every domain finished but finalize never ran → finalize re-sent (not counted as a re-queue);
- after DEALIQ_MAX_AUTO_REQUEUES automatic re-queues → the run is failed with reason "stalled".
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis.models import AnalysisRun, EventSeverity, RunStatus, RunStep, StepStatus
from analysis.services.audit import record_event
from analysis.services.steps import all_domains_finished

from .notify import after_run_finished
from .pipeline import dispatch_finalize, recover_stalled

logger = logging.getLogger("dealiq.watchdog")

STALLED = "stalled"


def fail_stalled(run: AnalysisRun, stale_steps: list[RunStep]) -> bool:
    with transaction.atomic():
        changed = AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=STALLED, completed_at=timezone.now()
        )
        if changed:
            RunStep.objects.filter(pk__in=[s.pk for s in stale_steps], status=StepStatus.RUNNING).update(
                status=StepStatus.FAILED, error=STALLED, finished_at=timezone.now()
            )
            record_event(
                "run.failed",
                run=run,
                obj=run,
                severity=EventSeverity.ERROR,
                data={
                    "reason": STALLED,
                    "auto_requeues": run.auto_requeue_count,
                    "stale_steps": [f"{s.domain}/{s.kind}" for s in stale_steps],
                },
            )
            transaction.on_commit(lambda: after_run_finished(run.pk))
    return bool(changed)


def check_stalled_runs(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.DEALIQ_HEARTBEAT_STALE_SECONDS)
    report = {"requeued": [], "finalized": [], "failed": []}
    for run in AnalysisRun.objects.filter(status=RunStatus.RUNNING):
        stale_steps = list(RunStep.objects.for_run(run).stale_running(stale_before))
        # A step waiting for its message batch is alive: the batch poller, not a heartbeat, moves it on.
        any_running = RunStep.objects.for_run(run).filter(status__in=(StepStatus.RUNNING, StepStatus.WAITING)).exists()
        run_stale = run.heartbeat_at is None or run.heartbeat_at < stale_before
        if not stale_steps and (any_running or not run_stale):
            continue
        if not any_running and all_domains_finished(run):
            if run.finalize_dispatched_at is None or run_stale:
                dispatch_finalize(run.pk)  # the last step's finalize message was lost
                report["finalized"].append(run.pk)
            continue
        if run.auto_requeue_count >= settings.DEALIQ_MAX_AUTO_REQUEUES:
            if fail_stalled(run, stale_steps):
                report["failed"].append(run.pk)
            continue
        reason = (
            f"{len(stale_steps)} step(s) without heartbeat since {stale_before:%H:%M:%S}"
            if stale_steps
            else "no step running and no heartbeat (lost messages)"
        )
        if recover_stalled(run, [s.pk for s in stale_steps], reason=reason).changed:
            report["requeued"].append(run.pk)
    if any(report.values()):
        logger.warning("watchdog acted: %s", report)
    return report
