"""The state changes that dispatch work: start, re-queue and cancel a run, start a batch. One home each.

Persist first, then enqueue on commit, passing ids only: a worker never sees a run that is not in the
database yet, and a rolled-back start enqueues nothing.
"""
from __future__ import annotations

import logging
from functools import partial

from celery import chain, signature
from django.db import transaction

from analysis.models import (
    CELERY_PRIORITY,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    AnalysisRun,
    Priority,
    RunStatus,
    RunStep,
    StepKind,
)
from analysis.services import lifecycle
from analysis.services.batches import BatchStart, create_batch, refresh_batch
from analysis.services.lifecycle import TransitionResult
from analysis.services.runs import create_run, document_manifest

from .engine_registry import default_engine_name, engine_for
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
    fresh: bool = False,
) -> AnalysisRun:
    """Create the run and dispatch its domains on commit. `fresh=True` forces a full run: no step reuses
    the results of an earlier completed run with the same inputs (analysis/services/reuse.py)."""
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
            fresh=fresh,
        )
        transaction.on_commit(partial(dispatch_run, run.pk))
    return run


# Tasks are enqueued by name: only tasks.py (the top of workers/) imports the task objects.
STEP_TASK = {
    StepKind.DISCOVER_TARGET: "dealiq.discover_target",
    StepKind.DISCOVER_BUYER: "dealiq.discover_buyer",
    StepKind.REASON: "dealiq.reason",
}
FINALIZE_TASK = "dealiq.finalize"


def dispatch_run(run_id: int, domains: list[str] | None = None, *, recovered: bool = False) -> int:
    """Send one chain per domain (all, or just `domains`) with the steps that are not settled yet;
    returns chains sent. Extra copies are harmless: a claim skips settled steps and backs off from a
    step another live worker runs. Recovered work (the watchdog's) goes first: it has waited already."""
    run = AnalysisRun.objects.get(pk=run_id)
    priority = CELERY_PRIORITY[Priority.HIGH] if recovered else CELERY_PRIORITY[Priority(run.priority)]
    unsettled: dict[str, set[str]] = {}
    for domain, kind in RunStep.objects.filter(run=run).exclude(status__in=SETTLED_STEP_STATUSES).values_list(
        "domain", "kind"
    ):
        unsettled.setdefault(domain, set()).add(kind)
    if not unsettled:
        signature(FINALIZE_TASK, args=(run_id,)).apply_async(priority=priority)
        return 0
    for domain in run.domains:
        if domains is not None and domain not in domains:
            continue
        kinds = [k for k in STEP_ORDER if k in unsettled.get(domain, ())]
        if kinds:
            chain(
                *(signature(STEP_TASK[k], args=(run_id, domain), immutable=True).set(priority=priority) for k in kinds)
            ).apply_async()
    return len(unsettled) if domains is None else len(set(unsettled) & set(domains))


def dispatch_reasoning(run_id: int, domains: list[str]) -> None:
    """Send the reasoning steps of `domains` (they waited for the deal's discovery to finish)."""
    run = AnalysisRun.objects.only("priority").get(pk=run_id)
    priority = CELERY_PRIORITY[Priority(run.priority)]
    for domain in domains:
        signature(STEP_TASK[StepKind.REASON], args=(run_id, domain), immutable=True).apply_async(priority=priority)


def dispatch_finalize(run_id: int, *, recovered: bool = False) -> None:
    run = AnalysisRun.objects.only("priority").get(pk=run_id)
    priority = CELERY_PRIORITY[Priority.HIGH if recovered else Priority(run.priority)]
    signature(FINALIZE_TASK, args=(run_id,)).apply_async(priority=priority)


def requeue_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """failed/cancelled → queued, or a queued/running run with no live worker (stalled) → queued:
    failed and interrupted steps go back to pending and only the unsettled steps are sent again; done
    steps and their rows stay.

    The status change is a conditional UPDATE, so a double click (or two managers) dispatches once.
    Like a start, a re-queue is refused (InsufficientDiskSpace) when the disk is nearly full.
    """
    ensure_disk_space()
    with transaction.atomic():
        result, _ = lifecycle.requeue(run, actor=actor)
        if result.changed:
            if run.batch_id:
                transaction.on_commit(partial(refresh_batch, run.batch_id))
            transaction.on_commit(partial(dispatch_run, run.pk))
    return result


def recover_lost(run: AnalysisRun, lost) -> TransitionResult:
    """The watchdog's re-queue of lost steps (see lifecycle.why_lost): back to pending, their domains
    sent again. Counted in `auto_requeue_count`; the watchdog fails the run as "stalled" past the limit."""
    with transaction.atomic():
        domains = lifecycle.recover_lost(run, lost)
        transaction.on_commit(partial(dispatch_run, run.pk, domains, recovered=True))
    return TransitionResult(True, f"run {run.pk}: {len(lost)} lost step(s) reset, {len(domains)} domain(s) re-sent")


def cancel_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """queued/running → cancelled. Steps inside the engine stop at their fence and persist nothing;
    queued messages are skipped when they arrive (the claim sees the run is no longer active)."""
    return lifecycle.cancel_run(run, actor=actor)


def start_batch(
    deals,
    *,
    name: str,
    created_by=None,
    priority: str = Priority.NORMAL,
    engine: str | None = None,
    domains: list[str] | None = None,
    fresh: bool = False,
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
                    deal, triggered_by=created_by, engine=engine, domains=domains, batch=batch, priority=priority,
                    fresh=fresh,
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
