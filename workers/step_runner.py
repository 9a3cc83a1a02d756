"""Executing one step: claim → engine (outside any transaction) → persist, or fail / retry.

The Celery task is a thin shell around `execute_step`; tests call `execute_step` directly. The provider's
rate limit is taken by the engine right before each model call (`request.before_call`, a
ratelimit.StepCallLimiter): waiting is a retry countdown (backoff, a long rate-limit wait), except a
rate-limit wait short enough to sleep through (DEALIQ_RATE_LIMIT_MAX_SLEEP_SECONDS in all per step).
"""
from __future__ import annotations

import dataclasses
import logging
import random
import threading
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from analysis.models import AnalysisRun, StepKind
from analysis.services import inputs, reuse
from analysis.services.steps import (
    Claim,
    SkipReason,
    StaleClaim,
    StepAnswers,
    claim_step,
    fail_step,
    heartbeat,
    is_cancelled,
    persist_discovery,
    persist_reasoning,
    release_for_retry,
    save_batch_checkpoint,
    saved_batches,
)
from dealiq.errors import PermanentError, Throttled, TransientError
from dealiq.fingerprint import engine_versions
from dealiq.logcontext import add_log_context, with_step_log_context
from dealiq.schemas import DiscoveryRequest, ReasoningRequest, SchemaError

from . import ratelimit
from .engine_registry import engine_for
from .liveness import release_hold
from .message_batches import ParkedForMessageBatch, prefetch_or_park, uses_message_batches
from .retry import backoff

logger = logging.getLogger("dealiq.steps")

# A lost or broken database connection is worth retrying, like a provider timeout.
DB_TRANSIENT = (OperationalError, InterfaceError)


# A Redis blip (the warm-up gate, the rate limiter) is transient too: the model's answer, if any, was
# saved before it, so the retry replays it. (redis is a requirement: celery[redis].)
REDIS_TRANSIENT = (RedisConnectionError, RedisTimeoutError)

# Provider errors that mean "too much at once, come back later": they wait without spending an attempt.
RATE_LIMIT_KINDS = {"rate_limited", "overloaded"}


@dataclass(frozen=True)
class StepOutcome:
    status: str  # done | reused | skipped | busy | failed | retry | throttled | stale | waiting
    detail: str = ""
    countdown: float | None = None
    counts: dict | None = None


class HeartbeatThread:
    """Refreshes the step's and the run's heartbeat while the engine works (a long model call must not
    look like a dead worker). Daemon thread with its own DB connection, closed when it stops."""

    def __init__(self, claim: Claim, interval: float):
        self.claim = claim
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{claim.step_id}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    heartbeat(self.claim)
                except DB_TRANSIENT:
                    logger.warning("heartbeat failed for step %s; retrying next tick", self.claim.step_id)
                    connection.close()
        finally:
            connection.close()

    def __enter__(self) -> "HeartbeatThread":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)


def _discover(claim: Claim, run: AnalysisRun, engine, data: dict | None = None) -> dict:
    # `data`: the inputs the step's fingerprint was computed from (services/reuse.py), read once.
    request = DiscoveryRequest(
        **(data or inputs.discovery_inputs(run, claim.domain, claim.entity)),
        completed_batches=saved_batches(claim.step_id, claim.partial),
        on_batch_done=lambda index, result: save_batch_checkpoint(claim, index, result),
        should_stop=lambda: is_cancelled(claim.run_id),
        answers=StepAnswers(claim),
        before_call=_call_limiter(run, engine),
        shared_by=len(run.domains),  # the run's domains discover the same pages
    )
    if uses_message_batches(run, engine, claim.kind):
        prefetch_or_park(claim, engine, request)  # raises ParkedForMessageBatch until the batch has ended
    result = engine.discover(request)
    return persist_discovery(claim, result)


def _reason(claim: Claim, run: AnalysisRun, engine, data: dict | None = None) -> dict:
    request = ReasoningRequest(
        **(data or inputs.reasoning_inputs(run, claim.domain, deal_wide=_reasons_over_deal(engine))),
        should_stop=lambda: is_cancelled(claim.run_id),
        answers=StepAnswers(claim),
        before_call=_call_limiter(run, engine),
        shared_by=len(run.domains),
    )
    result = engine.reason(request)
    return persist_reasoning(claim, result)


def _reasons_over_deal(engine) -> bool:
    """Whether the engine's reasoning reads the whole deal's facts and gaps (the Claude engine's shared
    prompt prefix) or only its domain's: what the step reads, and so what its fingerprint covers."""
    return bool(getattr(engine, "reasons_over_deal", False))


def _call_limiter(run: AnalysisRun, engine) -> ratelimit.StepCallLimiter:
    """The step's rate limit, asked by the engine right before each model call (its provider's bucket)."""
    provider = getattr(engine, "provider", None) or getattr(engine, "name", run.engine)
    return ratelimit.StepCallLimiter(provider)


def _release_throttled(claim: Claim, exc: Throttled, log_ctx: str) -> StepOutcome:
    """Our own limiter had no room for the next model call (nothing was sent): the step goes back to
    pending for the wait, without spending an attempt; the answers and batches it paid for are saved and
    are replayed, not re-sent, by the retry."""
    countdown = max(0.05, float(exc.retry_after or 0))
    try:
        release_for_retry(claim, f"throttled: {exc}", countdown=countdown, spend_attempt=False)
    except DB_TRANSIENT:
        connection.close()  # still running on the row: the retry's claim (or the watchdog) takes it over
    logger.info("step throttled %s: retry in %.2fs (no attempt spent)", log_ctx, countdown)
    return StepOutcome("throttled", str(exc), countdown=countdown)


def _busy_countdown() -> float:
    """A duplicate waits about one stale period: by then the owner has finished or is known dead."""
    base = max(1.0, min(settings.DEALIQ_HEARTBEAT_STALE_SECONDS, 2 * settings.DEALIQ_HEARTBEAT_INTERVAL_SECONDS))
    return round(base * random.uniform(1.0, 1.5), 3)


def _retry_transient(claim: Claim, exc: Exception, log_ctx: str) -> StepOutcome:
    kind = getattr(exc, "kind", "database" if isinstance(exc, DB_TRANSIENT) else "transient")
    if isinstance(exc, REDIS_TRANSIENT):
        kind = "redis"
    message = f"{kind}: {exc}"
    retry_after = getattr(exc, "retry_after", None)
    if kind in RATE_LIMIT_KINDS:
        # The provider is busy, not failing: wait (Retry-After, growing backoff) without spending an
        # attempt, as long as the step's waiting stays within its budget.
        plan = backoff(
            claim.rate_limit_waits,
            base=settings.DEALIQ_RETRY_BACKOFF_BASE,
            cap=settings.DEALIQ_RETRY_BACKOFF_CAP,
            retry_after=retry_after,
        )
        if claim.rate_limit_waited + plan.delay <= settings.DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS:
            release_for_retry(
                claim,
                message,
                countdown=plan.delay,
                data={"window": plan.window, "retry_after": retry_after},
                spend_attempt=False,
            )
            logger.warning("step rate limited %s, waiting %.1fs (no attempt spent): %s", log_ctx, plan.delay, exc)
            return StepOutcome("retry", message, countdown=plan.delay)
    if claim.attempts_since_requeue >= settings.DEALIQ_STEP_MAX_ATTEMPTS:
        fail_step(
            claim,
            f"gave up after {claim.attempts_since_requeue} attempts; last error {message}",
            full_error=f"{message}\n\n{traceback.format_exc()}",
        )
        logger.error("step out of retries %s: %s", log_ctx, exc)
        return StepOutcome("failed", message)
    plan = backoff(
        claim.attempts_since_requeue - 1,
        base=settings.DEALIQ_RETRY_BACKOFF_BASE,
        cap=settings.DEALIQ_RETRY_BACKOFF_CAP,
        retry_after=retry_after,
    )
    release_for_retry(
        claim,
        message,
        countdown=plan.delay,
        data={"window": plan.window, "retry_after": retry_after},
    )
    logger.warning("step transient error %s, retry in %.1fs: %s", log_ctx, plan.delay, exc)
    return StepOutcome("retry", message, countdown=plan.delay)


@with_step_log_context  # run, deal, domain, kind, attempt on every log line of the step
def execute_step(
    run_id: int, domain: str, kind: str, *, task_id: str = "", worker: str = "", retries: int = 0
) -> StepOutcome:
    close_old_connections()
    try:
        claimed = claim_step(run_id, domain, kind, task_id=task_id, worker=worker)
    except DB_TRANSIENT as exc:  # no database, or a lock held too long (lock_timeout): nothing claimed
        logger.warning("step run=%s domain=%s kind=%s: database error at the claim, retry: %s",
                       run_id, domain, kind, exc)
        connection.close()
        return StepOutcome("throttled", f"database: {exc}", countdown=settings.DEALIQ_RETRY_BACKOFF_BASE)
    if claimed.claim is None and claimed.skip_reason == SkipReason.BUSY:
        # Another copy of this step runs on a live worker: come back later, no attempt spent.
        countdown = _busy_countdown()
        logger.info("step busy run=%s domain=%s kind=%s: another worker is on it, retry in %.1fs",
                    run_id, domain, kind, countdown)
        return StepOutcome("busy", claimed.skip_reason, countdown=countdown)
    if claimed.claim is None:
        release_hold(run_id, domain, kind, worker)
        logger.info("step skipped run=%s domain=%s kind=%s: %s", run_id, domain, kind, claimed.skip_reason)
        return StepOutcome("skipped", claimed.skip_reason)
    claim = claimed.claim
    log_ctx = f"run={run_id} domain={domain} kind={kind} attempt={claim.attempt}"
    add_log_context(attempt=claim.attempt)
    try:
        run = AnalysisRun.objects.select_related("deal").get(pk=run_id)
        add_log_context(deal_id=run.deal_id)
        engine = engine_for(run.engine)
        # Unchanged inputs since an earlier completed run: reuse its results (no rate-limit token, no call).
        prepared = reuse.prepare(run, domain, kind, engine_versions(engine), deal_wide=_reasons_over_deal(engine))
        if prepared.source_step_id is not None:
            counts = reuse.settle_reused(claim, prepared, run)
            logger.info("step reused %s from run %s %s", log_ctx, prepared.source_run_number, counts)
            return StepOutcome("reused", counts=counts)
        claim = dataclasses.replace(claim, fingerprint=prepared.fingerprint)
        with HeartbeatThread(claim, settings.DEALIQ_HEARTBEAT_INTERVAL_SECONDS):
            step = _reason if kind == StepKind.REASON else _discover
            counts = step(claim, run, engine, prepared.inputs)
    except StaleClaim as exc:
        logger.warning("step result discarded %s: %s", log_ctx, exc)
        return StepOutcome("stale", str(exc))
    except ParkedForMessageBatch as exc:
        logger.info("step parked %s: %s", log_ctx, exc)
        return StepOutcome("waiting", str(exc))
    except Throttled as exc:
        return _release_throttled(claim, exc, log_ctx)
    except (TransientError, *REDIS_TRANSIENT) as exc:
        return _retry_transient(claim, exc, log_ctx)
    except DB_TRANSIENT as exc:
        connection.close()
        try:
            return _retry_transient(claim, exc, log_ctx)
        except DB_TRANSIENT:
            # Still no database: the step stays `running` and the next claim (this retry, or the
            # watchdog's re-queue) takes it over.
            connection.close()
            return StepOutcome("retry", str(exc), countdown=settings.DEALIQ_RETRY_BACKOFF_BASE)
    except (PermanentError, SchemaError) as exc:
        fail_step(claim, f"{getattr(exc, 'kind', 'invalid output')}: {exc}", full_error=traceback.format_exc())
        logger.error("step failed %s: %s", log_ctx, exc)
        return StepOutcome("failed", str(exc))
    except Exception as exc:  # a bug or an unexpected library error: fail readably, keep the trace
        full = traceback.format_exc()
        fail_step(claim, f"{type(exc).__name__}: {exc}", full_error=full)
        logger.exception("step crashed %s", log_ctx)
        return StepOutcome("failed", f"{type(exc).__name__}: {exc}")
    logger.info("step done %s %s", log_ctx, counts)
    return StepOutcome("done", counts=counts)

