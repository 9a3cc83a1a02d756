"""The state changes that dispatch work: start, re-queue and cancel a run, start a batch. One home each.

Persist first, then enqueue on commit, passing ids only: a worker never sees a run that is not in the
database yet, and a rolled-back start enqueues nothing.
"""
from __future__ import annotations

import logging
from functools import partial

from celery import chain
from django.db import transaction
from django.utils import timezone

from analysis.models import (
    CELERY_PRIORITY,
    EventSeverity,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    AnalysisRun,
    Priority,
    RunStatus,
    RunStep,
    StepStatus,
)
from analysis.services.audit import record_event
from analysis.services.batches import BatchStart, create_batch, refresh_batch
from analysis.services.runs import TransitionResult, create_run, document_manifest
from analysis.services.runs import cancel_run as _cancel_run

from .engines import default_engine_name, engine_for
from .ops.disk import ensure_disk_space

logger = logging.getLogger("dealiq.pipeline")

REQUEUEABLE = (RunStatus.FAILED, RunStatus.CANCELLED)


def start_run(
    deal,
    *,
    triggered_by=None,
    engine: str | None = None,
    domains: list[str] | None = None,
    batch=None,
    priority: str = Priority.NORMAL,
) -> AnalysisRun:
    ensure_disk_space()  # raises InsufficientDiskSpace (a RunStateError) before anything is written
    engine_name = engine or default_engine_name()
    model = engine_for(engine_name).model
    with transaction.atomic():
        run = create_run(
            deal,
            engine=engine_name,
            model=model,
            domains=domains,
            triggered_by=triggered_by,
            batch=batch,
            priority=priority,
        )
        transaction.on_commit(partial(dispatch_run, run.pk))
    return run


def dispatch_run(run_id: int, domains: list[str] | None = None) -> int:
    """Send one chain per domain (all, or just `domains`) with the steps that are not settled yet;
    returns chains sent. Extra copies are harmless: a claim skips settled steps."""
    from .tasks import TASK_FOR_KIND, finalize

    run = AnalysisRun.objects.get(pk=run_id)
    priority = CELERY_PRIORITY[Priority(run.priority)]
    unsettled: dict[str, set[str]] = {}
    for domain, kind in RunStep.objects.filter(run=run).exclude(status__in=SETTLED_STEP_STATUSES).values_list(
        "domain", "kind"
    ):
        unsettled.setdefault(domain, set()).add(kind)
    if not unsettled:
        finalize.apply_async((run_id,), priority=priority)
        return 0
    for domain in run.domains:
        if domains is not None and domain not in domains:
            continue
        kinds = [k for k in STEP_ORDER if k in unsettled.get(domain, ())]
        if kinds:
            chain(*(TASK_FOR_KIND[k].si(run_id, domain).set(priority=priority) for k in kinds)).apply_async()
    return len(unsettled) if domains is None else len(set(unsettled) & set(domains))


def dispatch_finalize(run_id: int) -> None:
    from .tasks import finalize

    run = AnalysisRun.objects.only("priority").get(pk=run_id)
    finalize.apply_async((run_id,), priority=CELERY_PRIORITY[Priority(run.priority)])


def requeue_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """failed/cancelled (a stalled run is failed) → queued: failed and interrupted steps go back to
    pending and only the unsettled steps are sent again; done steps and their rows stay.

    The status change is a conditional UPDATE, so a double click (or two managers) dispatches once.
    Like a start, a re-queue is refused (InsufficientDiskSpace) when the disk is nearly full.
    """
    ensure_disk_space()
    with transaction.atomic():
        changed = AnalysisRun.objects.filter(pk=run.pk, status__in=REQUEUEABLE).update(
            status=RunStatus.QUEUED,
            error="",
            completed_at=None,
            finalize_dispatched_at=None,
            auto_requeue_count=0,
            heartbeat_at=timezone.now(),
        )
        if not changed:
            run.refresh_from_db()
            return TransitionResult(
                False, f"Run {run.number} is {run.status}: only failed or cancelled runs can be re-queued."
            )
        locked = AnalysisRun.objects.select_for_update().get(pk=run.pk)
        steps = list(RunStep.objects.filter(run=locked).exclude(status__in=SETTLED_STEP_STATUSES).select_for_update())
        for step in steps:
            step.status = StepStatus.PENDING
            step.attempt_floor = step.attempts  # a fresh attempt budget after a human decided to retry
            step.finished_at = None
            step.save(update_fields=["status", "attempt_floor", "finished_at"])
        locked.requeue_count += 1
        locked.save(update_fields=["requeue_count"])
        record_event(
            "run.requeued",
            actor=actor,
            run=locked,
            obj=locked,
            data={"automatic": False, "steps": [f"{s.domain}/{s.kind}" for s in steps]},
        )
        if locked.batch_id:
            transaction.on_commit(partial(refresh_batch, locked.batch_id))
        transaction.on_commit(partial(dispatch_run, run.pk))
    run.refresh_from_db()
    return TransitionResult(True, f"Run {run.number} re-queued ({len(steps)} step(s) to run).")


def recover_stalled(run: AnalysisRun, stale_step_ids: list[int], *, reason: str) -> TransitionResult:
    """The watchdog's re-queue of a running run: stale `running` steps go back to pending and the
    affected domains (all unsettled ones when `stale_step_ids` is empty: lost messages) are sent again.
    Counted in `auto_requeue_count`; the watchdog fails the run as "stalled" past the limit."""
    with transaction.atomic():
        locked = AnalysisRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING:
            return TransitionResult(False, f"run {locked.pk} is {locked.status}")
        steps = RunStep.objects.filter(run=locked, pk__in=stale_step_ids, status=StepStatus.RUNNING)
        reset = [(s.domain, s.kind) for s in steps.select_for_update()]
        steps.update(status=StepStatus.PENDING, error=f"re-queued by the watchdog: {reason}")
        if stale_step_ids:
            domains = sorted({domain for domain, _ in reset})
        else:
            domains = sorted(
                set(RunStep.objects.filter(run=locked).unsettled().values_list("domain", flat=True))
            )
        locked.auto_requeue_count += 1
        locked.heartbeat_at = timezone.now()  # the next look comes one stale period from now
        locked.save(update_fields=["auto_requeue_count", "heartbeat_at"])
        record_event(
            "run.requeued",
            run=locked,
            obj=locked,
            severity=EventSeverity.WARNING,
            data={
                "automatic": True,
                "reason": reason,
                "steps": [f"{d}/{k}" for d, k in reset],
                "domains": domains,
                "auto_requeue_count": locked.auto_requeue_count,
            },
        )
        transaction.on_commit(partial(dispatch_run, run.pk, domains))
    return TransitionResult(True, f"run {run.pk}: {len(reset)} stale step(s) reset, {len(domains)} domain(s) re-sent")


def cancel_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """queued/running → cancelled. Steps inside the engine stop at their fence and persist nothing;
    queued messages are skipped when they arrive (the claim sees the run is no longer active)."""
    result = _cancel_run(run, actor=actor)
    if result.changed:
        from .notify import after_run_finished

        after_run_finished(run.pk)
    return result


def start_batch(
    deals,
    *,
    name: str,
    created_by=None,
    priority: str = Priority.NORMAL,
    engine: str | None = None,
    domains: list[str] | None = None,
) -> BatchStart:
    """An AnalysisBatch and one run per deal that has documents; the runs share the batch priority."""
    ensure_disk_space()  # refuse the whole batch up front, not halfway through its runs
    with transaction.atomic():
        batch = create_batch(name=name, created_by=created_by, priority=priority)
        runs, skipped = [], []
        for deal in deals:
            if not document_manifest(deal):
                skipped.append(deal)
                continue
            runs.append(
                start_run(
                    deal, triggered_by=created_by, engine=engine, domains=domains, batch=batch, priority=priority
                )
            )
        refresh_batch(batch.pk)
    batch.refresh_from_db()
    return BatchStart(batch=batch, runs=runs, skipped=skipped)


def requeue_failed_in_batch(batch, *, actor=None, allowed=None) -> list[TransitionResult]:
    """Re-queue every failed or cancelled run of a batch (`allowed(run)` filters by permission)."""
    results = []
    for run in AnalysisRun.objects.filter(batch=batch, status__in=REQUEUEABLE).select_related("deal"):
        if allowed is None or allowed(run):
            results.append(requeue_run(run, actor=actor))
    return results
