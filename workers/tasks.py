"""Celery tasks: thin. Parse ids, call the step executor, translate its outcome for Celery.

The top of workers/: nothing in workers/ imports this module; others enqueue tasks by name
(`signature("dealiq.…")`), so the package has no import cycle.

Each task takes only ids and reads everything else from the database, so any message can be delivered
twice or run again on its own.
"""
from __future__ import annotations

import time

from celery import shared_task

from analysis.models import StepKind
from analysis.services.finalize import finalize_run
from analysis.services.steps import SkipReason

from .step_runner import execute_step

# Outcomes after which the rest of the domain's chain must not run ("waiting": the message batch poller
# sends the chain again once the step's batch has ended).
_STOP_CHAIN = {"failed", "stale", "waiting"}
_STOP_CHAIN_SKIPS = {SkipReason.BLOCKED, SkipReason.RUN_FINISHED, SkipReason.OUT_OF_ATTEMPTS}


def _run_step(task, run_id, domain: str, kind: str) -> dict:
    while True:
        outcome = execute_step(
            int(run_id),
            str(domain),
            kind,
            task_id=task.request.id or "",
            worker=task.request.hostname or "",
            retries=task.request.retries or 0,
        )
        if outcome.status not in ("retry", "throttled", "busy"):
            break
        if task.request.is_eager:
            # Embedded mode has no broker to hold a countdown: this process is the only worker, so wait.
            time.sleep(outcome.countdown or 0)
            continue
        # Our own countdown (backoff with jitter, Retry-After, rate-limit wait, a duplicate backing off
        # from a step a live worker runs): never autoretry_for,
        # which would overwrite it. The attempt cap lives in the step row, not in Celery's retry count
        # (step tasks have max_retries=None: a rate-limit wait may take many retries and uses no attempt).
        raise task.retry(countdown=outcome.countdown)
    if outcome.status in _STOP_CHAIN or (outcome.status == "skipped" and outcome.detail in _STOP_CHAIN_SKIPS):
        task.request.chain = None
    return {"status": outcome.status, "detail": outcome.detail, "counts": outcome.counts}


@shared_task(bind=True, name="dealiq.discover_target", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def discover_target(self, run_id: int, domain: str) -> dict:
    return _run_step(self, run_id, domain, StepKind.DISCOVER_TARGET)


@shared_task(bind=True, name="dealiq.discover_buyer", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def discover_buyer(self, run_id: int, domain: str) -> dict:
    return _run_step(self, run_id, domain, StepKind.DISCOVER_BUYER)


@shared_task(bind=True, name="dealiq.reason", acks_late=True, reject_on_worker_lost=True, max_retries=None)
def reason(self, run_id: int, domain: str) -> dict:
    return _run_step(self, run_id, domain, StepKind.REASON)


@shared_task(name="dealiq.finalize", acks_late=True, reject_on_worker_lost=True)
def finalize(run_id: int) -> str:
    return finalize_run(int(run_id))


@shared_task(bind=True, name="dealiq.webhook", acks_late=True, max_retries=None)
def webhook(self, payload: dict) -> str:
    from .webhooks import deliver

    return deliver(self, payload)


@shared_task(name="dealiq.watchdog")
def watchdog() -> dict:
    from .ops.beat import mark_beat_seen
    from .watchdog import check_stalled_runs

    mark_beat_seen()  # beat has no heartbeat of its own; /healthz reads this stamp
    return check_stalled_runs()


TASK_FOR_KIND = {
    StepKind.DISCOVER_TARGET: discover_target,
    StepKind.DISCOVER_BUYER: discover_buyer,
    StepKind.REASON: reason,
}


@shared_task(name="dealiq.purge_old_rows")
def purge_old_rows() -> dict:
    from .ops.retention import purge_old_rows as purge

    result = purge()
    return {"audit_events": result.audit_events, "engine_calls": result.engine_calls,
            "notifications": result.notifications}


@shared_task(name="dealiq.poll_message_batches")
def poll_message_batches() -> dict:
    from .message_batches import poll_message_batches as poll

    return poll()
