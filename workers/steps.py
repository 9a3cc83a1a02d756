"""Executing one step: rate limit → claim → engine (outside any transaction) → persist, or fail / retry.

The Celery task is a thin shell around `execute_step`; tests call `execute_step` directly. Nothing here
sleeps: waiting (rate limit, backoff) is always a retry countdown, so a worker process is never blocked.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.db.models import Count, Sum
from django.db.models.functions import Length
from django.utils import timezone

from analysis.models import AnalysisRun, Fact, Gap, StepKind
from analysis.services import inputs
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
    push_heartbeat,
    release_for_retry,
    save_batch_checkpoint,
    saved_batches,
    step_is_claimable,
)
from dealiq.errors import PermanentError, TransientError
from dealiq.schemas import DiscoveryRequest, ReasoningRequest, SchemaError
from deals.models import DocumentPage

from . import ratelimit
from .engines import engine_for
from .liveness import release_hold
from .message_batches import ParkedForMessageBatch, prefetch_or_park, uses_message_batches
from .ops.logcontext import add_log_context, with_step_log_context
from .retry import backoff

logger = logging.getLogger("dealiq.steps")

# A lost or broken database connection is worth retrying, like a provider timeout.
DB_TRANSIENT = (OperationalError, InterfaceError)


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # no Redis client installed: nothing to catch
        return ()
    return (RedisConnectionError, RedisTimeoutError)


# A Redis blip (the warm-up gate, the rate limiter) is transient too: the model's answer, if any, was
# saved before it, so the retry replays it.
REDIS_TRANSIENT = _redis_errors()

# Provider errors that mean "too much at once, come back later": they wait without spending an attempt.
RATE_LIMIT_KINDS = {"rate_limited", "overloaded"}


@dataclass(frozen=True)
class StepOutcome:
    status: str  # done | skipped | busy | failed | retry | throttled | stale | waiting
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


def estimated_tokens(run: AnalysisRun, domain: str, kind: str) -> int:
    """Rough input tokens of the step's model calls (~4 characters a token), for the tokens/min budget."""
    if kind == StepKind.REASON:
        facts = Fact.objects.for_run(run).for_domain(domain).aggregate(n=Count("id"), chars=Sum(Length("evidence")))
        gaps = Gap.objects.for_run(run).for_domain(domain).count()
        return 1000 + (facts["chars"] or 0) // 4 + 60 * ((facts["n"] or 0) + gaps)
    entity = "target" if kind == StepKind.DISCOVER_TARGET else "buyer"
    doc_ids = [d["id"] for d in run.document_manifest if d["entity"] == entity]
    chars = DocumentPage.objects.filter(document_id__in=doc_ids).aggregate(n=Sum(Length("text")))["n"] or 0
    return 1000 + chars // 4


def _discover(claim: Claim, run: AnalysisRun, engine) -> dict:
    request = DiscoveryRequest(
        deal=inputs.deal_context(run),
        domain=claim.domain,
        entity=claim.entity,
        pages=inputs.manifest_pages(run, claim.entity),
        completed_batches=saved_batches(claim.step_id, claim.partial),
        on_batch_done=lambda index, result: save_batch_checkpoint(claim, index, result),
        should_stop=lambda: is_cancelled(claim.run_id),
        answers=StepAnswers(claim),
    )
    if uses_message_batches(run, engine, claim.kind):
        prefetch_or_park(claim, engine, request)  # raises ParkedForMessageBatch until the batch has ended
    result = engine.discover(request)
    return persist_discovery(claim, result)


def _reason(claim: Claim, run: AnalysisRun, engine) -> dict:
    request = ReasoningRequest(
        deal=inputs.deal_context(run),
        domain=claim.domain,
        facts=inputs.fact_records(run, claim.domain),
        gaps=inputs.gap_records(run, claim.domain),
        should_stop=lambda: is_cancelled(claim.run_id),
        answers=StepAnswers(claim),
    )
    result = engine.reason(request)
    return persist_reasoning(claim, result)


def _throttle(run: AnalysisRun, engine, domain: str, kind: str) -> float:
    """Seconds to wait for the provider's rate limit (0: a token was taken, go ahead)."""
    provider = getattr(engine, "provider", None) or getattr(engine, "name", run.engine)
    tokens = estimated_tokens(run, domain, kind)
    # A step that sends its documents in several batches makes several calls: take them all up front.
    calls = engine.estimated_calls(tokens) if hasattr(engine, "estimated_calls") else 1
    wait = ratelimit.acquire(provider, tokens, calls)
    if wait > 0:
        push_heartbeat(run.pk, timezone.now() + dt.timedelta(seconds=wait))
    return wait


def _rate_limited(run: AnalysisRun, engine) -> bool:
    """Does this engine's provider have a limit (then a step takes a token before its claim)?"""
    provider = getattr(engine, "provider", None) or getattr(engine, "name", run.engine)
    return ratelimit.limit_for(provider) is not None


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
    run = engine = None
    try:
        run = AnalysisRun.objects.select_related("deal").get(pk=run_id)
        engine = engine_for(run.engine)
        # A step whose calls go into a Message Batch counts against the batch API's own limits; an engine
        # with no limit (offline) needs no token, so no look before the claim either (the claim checks).
        limited = _rate_limited(run, engine) and not uses_message_batches(run, engine, kind)
        if limited and not step_is_claimable(run_id, domain, kind):
            wait = _throttle(run, engine, domain, kind)
            if wait > 0:
                logger.info("step throttled run=%s domain=%s kind=%s: retry in %.2fs", run_id, domain, kind, wait)
                return StepOutcome("throttled", "rate limit", countdown=wait)
    except DB_TRANSIENT as exc:  # nothing claimed yet: just come back later
        connection.close()
        return StepOutcome("throttled", f"database: {exc}", countdown=settings.DEALIQ_RETRY_BACKOFF_BASE)
    except Exception:  # e.g. an unknown engine: the claimed step below fails with a readable error
        run = engine = None
    try:
        claimed = claim_step(run_id, domain, kind, task_id=task_id, worker=worker)
    except DB_TRANSIENT as exc:  # no database, or a lock held too long (lock_timeout): nothing claimed
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
    add_log_context(attempt=claim.attempt, deal_id=getattr(run, "deal_id", None))
    try:
        if run is None:  # the claimable check said no, yet the claim went through (state changed between)
            run = AnalysisRun.objects.select_related("deal").get(pk=run_id)
            engine = engine_for(run.engine)
        with HeartbeatThread(claim, settings.DEALIQ_HEARTBEAT_INTERVAL_SECONDS):
            counts = _reason(claim, run, engine) if kind == StepKind.REASON else _discover(claim, run, engine)
    except StaleClaim as exc:
        logger.warning("step result discarded %s: %s", log_ctx, exc)
        return StepOutcome("stale", str(exc))
    except ParkedForMessageBatch as exc:
        logger.info("step parked %s: %s", log_ctx, exc)
        return StepOutcome("waiting", str(exc))
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

