"""A step's life: claim (fence) → engine (outside any transaction) → persist or fail, then fan-in.

Lock order everywhere: the run row first, then the step row. A claim bumps `attempts`, the fencing
token: a persist whose attempt is no longer the step's current one writes nothing, so a stale duplicate
delivery can never overwrite or duplicate the work of the copy that claimed after it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from dealiq.schemas import DiscoveryResult, ItemReport, ReasoningResult, Usage

from ..models import (
    DISCOVERY_ENTITY,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    AnalysisRun,
    EngineCall,
    EventSeverity,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from .audit import record_event, truncate_error, worker_label
from .persist import upsert_discovery, upsert_reasoning
from .runs import mark_running

logger = logging.getLogger(__name__)

DB_ERRORS = (OperationalError, InterfaceError)

# Sent after a step settles or fails (the `analyze` command prints progress from it in eager mode).
step_finished = Signal()


class SkipReason:
    ALREADY_DONE = "already done"
    RUN_FINISHED = "run is no longer active"
    BLOCKED = "an earlier step of this domain is not done"
    OUT_OF_ATTEMPTS = "out of attempts"


@dataclass(frozen=True)
class Claim:
    run_id: int
    step_id: int
    domain: str
    kind: str
    attempt: int
    floor: int = 0  # `attempts` at the last re-queue: the attempt cap counts from here
    rate_limit_waits: int = 0  # provider rate-limit waits so far that spent no attempt
    rate_limit_waited: float = 0.0  # their total seconds

    @property
    def attempts_since_requeue(self) -> int:
        return self.attempt - self.floor

    @property
    def entity(self) -> str | None:
        return DISCOVERY_ENTITY.get(StepKind(self.kind))


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim | None
    skip_reason: str = ""


class StaleClaim(Exception):
    """The step was re-claimed, finished elsewhere, or the run was cancelled: write nothing."""


def _locked(run_id: int, step_id: int) -> tuple[AnalysisRun, RunStep]:
    run = AnalysisRun.objects.select_for_update().get(pk=run_id)
    step = RunStep.objects.select_for_update().get(pk=step_id)
    return run, step


def claim_step(run_id: int, domain: str, kind: str, *, task_id: str = "", worker: str = "") -> ClaimResult:
    max_attempts = settings.DEALIQ_STEP_MAX_ATTEMPTS
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        step = RunStep.objects.select_for_update().get(run_id=run_id, domain=domain, kind=kind)
        if step.status in SETTLED_STEP_STATUSES:
            return ClaimResult(None, SkipReason.ALREADY_DONE)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return ClaimResult(None, SkipReason.RUN_FINISHED)
        if _earlier_steps_unsettled(run_id, domain, kind):
            return ClaimResult(None, SkipReason.BLOCKED)
        if step.attempts - step.attempt_floor >= max_attempts:
            _fail_locked(run, step, f"gave up after {step.attempts} attempts (worker lost or stalled each time)")
            return ClaimResult(None, SkipReason.OUT_OF_ATTEMPTS)
        now = timezone.now()
        step.status = StepStatus.RUNNING
        step.attempts += 1
        step.task_id = task_id or step.task_id
        step.worker = worker or worker_label()
        step.heartbeat_at = now
        step.started_at = step.started_at or now
        step.error = ""
        step.save(update_fields=["status", "attempts", "task_id", "worker", "heartbeat_at", "started_at", "error"])
        AnalysisRun.objects.filter(pk=run_id).update(heartbeat_at=now)
        if run.status == RunStatus.QUEUED:
            mark_running(run_id)
        record_event(
            "step.claimed",
            actor_label=step.worker,
            run=run,
            obj=step,
            data={"domain": domain, "kind": kind, "attempt": step.attempts, "task_id": task_id},
        )
        return ClaimResult(
            Claim(
                run_id, step.pk, domain, kind, step.attempts, step.attempt_floor,
                step.rate_limit_waits, step.rate_limit_waited_seconds,
            )
        )


def _check_fence(run: AnalysisRun, step: RunStep, claim: Claim) -> None:
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise StaleClaim(f"run {run.pk} is {run.status}")
    if step.status != StepStatus.RUNNING or step.attempts != claim.attempt:
        raise StaleClaim(f"step {step.pk} is {step.status} at attempt {step.attempts}, not {claim.attempt}")


def heartbeat(claim: Claim) -> None:
    now = timezone.now()
    RunStep.objects.filter(pk=claim.step_id, attempts=claim.attempt, status=StepStatus.RUNNING).update(heartbeat_at=now)
    AnalysisRun.objects.filter(pk=claim.run_id).update(heartbeat_at=now)


def step_is_claimable(run_id: int, domain: str, kind: str) -> str:
    """A cheap look before spending a rate-limit token: '' if a claim could succeed, else why not."""
    row = (
        RunStep.objects.filter(run_id=run_id, domain=domain, kind=kind)
        .values("status", "run__status")
        .first()
    )
    if row is None or row["status"] in SETTLED_STEP_STATUSES:
        return SkipReason.ALREADY_DONE
    if row["run__status"] not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return SkipReason.RUN_FINISHED
    if _earlier_steps_unsettled(run_id, domain, kind):
        return SkipReason.BLOCKED
    return ""


def _earlier_steps_unsettled(run_id: int, domain: str, kind: str) -> bool:
    """A domain's steps run in order: this one waits for those before it."""
    earlier_kinds = STEP_ORDER[: STEP_ORDER.index(StepKind(kind))]
    return (
        RunStep.objects.filter(run_id=run_id, domain=domain, kind__in=earlier_kinds)
        .exclude(status__in=SETTLED_STEP_STATUSES)
        .exists()
    )


def push_heartbeat(run_id: int, until) -> None:
    """A run waiting on purpose (retry backoff, rate limit) is alive until `until`: the watchdog must
    not take the wait for a stall. Only ever moves the heartbeat forward."""
    AnalysisRun.objects.filter(pk=run_id).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=until)
    ).update(heartbeat_at=until)


def is_cancelled(run_id: int) -> bool:
    return AnalysisRun.objects.filter(pk=run_id, status=RunStatus.CANCELLED).exists()


def save_batch_checkpoint(claim: Claim, batch_index: int, result: DiscoveryResult) -> None:
    """Sub-checkpoint: one document batch's grounded result, kept so a retry does not redo it."""
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        _check_fence(run, step, claim)
        partial = dict(step.partial or {})
        batches = dict(partial.get("batches", {}))
        batches[str(batch_index)] = result.to_dict()
        partial["batches"] = batches
        step.partial = partial
        step.heartbeat_at = timezone.now()
        step.save(update_fields=["partial", "heartbeat_at"])
        _record_new_calls(run, step, claim, result.usage, save=True)


def saved_batches(step_id: int) -> dict[int, DiscoveryResult]:
    partial = RunStep.objects.values_list("partial", flat=True).get(pk=step_id) or {}
    return {int(k): DiscoveryResult.from_dict(v) for k, v in partial.get("batches", {}).items()}


def save_answer(claim: Claim, key: str, answer: dict) -> None:
    """Sub-checkpoint of one paid model answer, saved the moment it arrives (before any work on it).

    The call is counted on the step and the run whatever happens next — even for a stale duplicate
    or a cancelled run, since the provider billed it. The answer itself is kept on any step not yet
    done (a re-claim or re-queue replays it); then the fence is checked, so a copy that lost its
    claim stops here (after the commit: the count stays).
    """
    usage = usage_of_records([answer["record"]] if answer.get("record") else [])
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        if step.status != StepStatus.DONE:
            partial = dict(step.partial or {})
            partial["answers"] = {**partial.get("answers", {}), key: answer}
            step.partial = partial
            step.heartbeat_at = timezone.now()
            step.save(update_fields=["partial", "heartbeat_at"])
        _record_new_calls(run, step, claim, usage, save=True)
        try:
            _check_fence(run, step, claim)
            stale = None
        except StaleClaim as exc:
            stale = exc
    if stale is not None:
        raise stale


class StepAnswers:
    """The AnswerStore (dealiq.engines.AnswerStore) of one claimed step, kept in RunStep.partial.

    A database blip while saving is retried for a moment; if the database stays away the answer is
    held in this process (by step) and saved by the step's next attempt here, so even then a retry in
    this worker replays it instead of paying again.
    """

    _unsaved: ClassVar[dict[int, dict[str, dict]]] = {}  # step id → answers a lost database kept from being saved
    _lock = threading.Lock()
    SAVE_WAITS = (0.2, 1.0)  # seconds between the tries of one save

    def __init__(self, claim: Claim):
        self.claim = claim
        with self._lock:
            held = dict(self._unsaved.get(claim.step_id, {}))
        self.answers = {**saved_answers(claim.step_id), **held}
        for key, answer in held.items():
            self._persist(key, answer)

    def load(self, key: str) -> dict | None:
        return self.answers.get(key)

    def save(self, key: str, answer: dict) -> None:
        self.answers[key] = answer
        self._persist(key, answer)

    def _persist(self, key: str, answer: dict) -> None:
        for wait in (*self.SAVE_WAITS, None):
            try:
                save_answer(self.claim, key, answer)
            except DB_ERRORS:
                connection.close()
                if wait is None:
                    with self._lock:
                        self._unsaved.setdefault(self.claim.step_id, {})[key] = answer
                    raise
                logger.warning("saving a model answer of step %s failed; trying again", self.claim.step_id)
                time.sleep(wait)
            else:
                with self._lock:
                    self._unsaved.get(self.claim.step_id, {}).pop(key, None)
                return


def saved_answers(step_id: int) -> dict[str, dict]:
    partial = RunStep.objects.values_list("partial", flat=True).get(pk=step_id) or {}
    return dict(partial.get("answers", {}))


def forget_saved_answers(run: AnalysisRun) -> int:
    """An analyst wants fresh model answers for the run's unfinished steps (the next attempt pays again).
    Returns how many steps had answers saved."""
    forgotten = 0
    with transaction.atomic():
        for step in RunStep.objects.filter(run=run).unsettled().select_for_update():
            if (step.partial or {}).get("answers"):
                step.partial = {k: v for k, v in step.partial.items() if k != "answers"}
                step.save(update_fields=["partial"])
                forgotten += 1
    return forgotten


def usage_of_records(records: list[dict], model: str = "") -> Usage:
    usage = Usage(model=model)
    for record in records:
        usage.add(
            Usage(
                calls=1,
                input_tokens=record.get("input_tokens", 0),
                output_tokens=record.get("output_tokens", 0),
                cache_creation_input_tokens=record.get("cache_creation_input_tokens", 0),
                cache_read_input_tokens=record.get("cache_read_input_tokens", 0),
                cost=record.get("cost", 0.0),
                model=record.get("model", model),
                request_ids=[record["request_id"]] if record.get("request_id") else [],
                call_records=[record],
            )
        )
    return usage


def _add_usage(row, usage: Usage, *, save: bool) -> None:
    row.calls += usage.calls
    row.input_tokens += usage.input_tokens
    row.output_tokens += usage.output_tokens
    row.cache_creation_input_tokens += usage.cache_creation_input_tokens
    row.cache_read_input_tokens += usage.cache_read_input_tokens
    row.cost = Decimal(row.cost) + Decimal(str(round(usage.cost, 6)))
    if save:
        row.save(update_fields=list(row.USAGE_FIELDS))


def _record_new_calls(run: AnalysisRun, step: RunStep, claim: Claim, usage: Usage, *, save: bool) -> Usage:
    """EngineCall rows + step and run usage for the calls of `usage` not yet recorded for this step
    (a call is recorded once, when its answer is saved; a replayed answer is not counted again)."""
    ids = [r.get("request_id") for r in usage.call_records if r.get("request_id")]
    known = set(EngineCall.objects.filter(step=step, request_id__in=ids).values_list("request_id", flat=True))
    fresh = usage_of_records(
        [r for r in usage.call_records if not r.get("request_id") or r["request_id"] not in known], usage.model
    )
    if not fresh.calls:
        return fresh
    EngineCall.objects.bulk_create(
        [
            EngineCall(
                run=run,
                step=step,
                attempt=claim.attempt,
                model=record.get("model", usage.model),
                request_id=record.get("request_id", "") or "",
                service_tier=record.get("service_tier", "") or "",
                input_tokens=record.get("input_tokens", 0),
                output_tokens=record.get("output_tokens", 0),
                cache_creation_input_tokens=record.get("cache_creation_input_tokens", 0),
                cache_read_input_tokens=record.get("cache_read_input_tokens", 0),
                cost=Decimal(str(round(record.get("cost", 0.0), 6))),
            )
            for record in fresh.call_records
        ]
    )
    _add_usage(step, fresh, save=save)
    _add_usage(run, fresh, save=save)
    return fresh


def _settle(
    run: AnalysisRun, step: RunStep, claim: Claim, usage: Usage, counts: dict[str, int], items: ItemReport
) -> None:
    now = timezone.now()
    step.status = StepStatus.DONE
    step.finished_at = now
    step.heartbeat_at = now
    step.facts_written = counts.get("facts", 0)
    step.gaps_written = counts.get("gaps", 0)
    step.findings_written = counts.get("findings", 0)
    step.items_written = step.facts_written + step.gaps_written + step.findings_written
    step.dropped_ungrounded = counts.get("dropped_ungrounded", 0)
    step.dropped_links = counts.get("dropped_links", 0)
    step.item_report = items.to_dict()
    if (step.partial or {}).get("answers"):  # only an unfinished step replays answers: keep the row lean
        step.partial = {k: v for k, v in step.partial.items() if k != "answers"}
    _record_new_calls(run, step, claim, usage, save=False)
    step.save()
    run.steps_done += 1
    run.progress = min(100, run.steps_done * 100 // max(run.steps_total, 1))
    run.heartbeat_at = now
    run.dropped_ungrounded += step.dropped_ungrounded
    run.save(
        update_fields=[*run.USAGE_FIELDS, "steps_done", "progress", "heartbeat_at", "dropped_ungrounded"]
    )
    record_event(
        "step.done",
        actor_label=step.worker,
        run=run,
        obj=step,
        data={"domain": step.domain, "kind": step.kind, "attempt": claim.attempt, **counts},
    )


def persist_discovery(claim: Claim, result: DiscoveryResult) -> dict[str, int]:
    """Fence check + upsert facts and gaps + checkpoint + progress, in one transaction."""
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        _check_fence(run, step, claim)
        counts = upsert_discovery(run, result)
        _settle(run, step, claim, result.usage, counts, result.items)
        _after_step_settled(run)
    step_finished.send(sender=RunStep, step_id=claim.step_id, status=StepStatus.DONE, counts=counts)
    return counts


def persist_reasoning(claim: Claim, result: ReasoningResult) -> dict[str, int]:
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        _check_fence(run, step, claim)
        counts = upsert_reasoning(run, claim.domain, result)
        _settle(run, step, claim, result.usage, counts, result.items)
        _after_step_settled(run)
    step_finished.send(sender=RunStep, step_id=claim.step_id, status=StepStatus.DONE, counts=counts)
    return counts


def _fail_locked(run: AnalysisRun, step: RunStep, error: str, *, full_error: str = "") -> None:
    now = timezone.now()
    step.status = StepStatus.FAILED
    step.error = truncate_error(error)
    step.finished_at = now
    step.save(update_fields=["status", "error", "finished_at"])
    record_event(
        "step.failed",
        actor_label=step.worker,
        run=run,
        obj=step,
        severity=EventSeverity.ERROR,
        data={"domain": step.domain, "kind": step.kind, "attempt": step.attempts, "error": full_error or error},
    )
    _after_step_settled(run)


def fail_step(claim: Claim, error: str, *, full_error: str = "") -> bool:
    """Permanent failure: the step is `failed` with a readable error; finished steps stay."""
    try:
        with transaction.atomic():
            run, step = _locked(claim.run_id, claim.step_id)
            _check_fence(run, step, claim)
            _fail_locked(run, step, error, full_error=full_error)
    except StaleClaim:
        return False
    step_finished.send(sender=RunStep, step_id=claim.step_id, status=StepStatus.FAILED, counts={})
    return True


def park_for_message_batch(claim: Claim, batch_id: str) -> bool:
    """running → waiting: the step's discovery calls are in a Message Batch (results within 24 h).

    Nothing is persisted and the worker is freed; `resume_waiting_step` sends the step again once the
    batch has ended. Waiting is not a failure: the attempt budget starts afresh from here.
    """
    with transaction.atomic():
        changed = RunStep.objects.filter(pk=claim.step_id, attempts=claim.attempt, status=StepStatus.RUNNING).update(
            status=StepStatus.WAITING, message_batch_id=batch_id, attempt_floor=F("attempts"), error=""
        )
        if changed:
            _record_step_event("step.waiting_for_batch", claim.run_id, claim.step_id,
                               domain=claim.domain, kind=claim.kind, attempt=claim.attempt, message_batch=batch_id)
    return bool(changed)


def resume_waiting_step(step: RunStep) -> bool:
    """waiting → pending once its batch has ended (conditional: one poller wins)."""
    changed = RunStep.objects.filter(pk=step.pk, status=StepStatus.WAITING).update(status=StepStatus.PENDING)
    if changed:
        _record_step_event("step.batch_ended", step.run_id, step.pk,
                           domain=step.domain, kind=step.kind, message_batch=step.message_batch_id)
    return bool(changed)


def _record_step_event(event_type: str, run_id: int, step_id: int, **data) -> None:
    run = AnalysisRun.objects.only("id", "deal_id").get(pk=run_id)
    record_event(event_type, run=run, object_type="RunStep", object_id=step_id, data=data)


def release_for_retry(
    claim: Claim, error: str, *, countdown: float = 0.0, data: dict | None = None, spend_attempt: bool = True
) -> bool:
    """Transient failure: back to pending (a retry is scheduled) with the error kept for the timeline.

    The heartbeat moves to when the retry is due, so the watchdog does not mistake the backoff for a stall.
    `spend_attempt=False` (a provider rate limit within its wait budget) gives the attempt back: the
    fencing token `attempts` still only grows, the cap's floor moves up by one instead.
    """
    due = timezone.now() + dt.timedelta(seconds=countdown)
    changes = {"status": StepStatus.PENDING, "error": truncate_error(error), "heartbeat_at": due, "retries": F("retries") + 1}
    if not spend_attempt:
        changes.update(
            attempt_floor=F("attempt_floor") + 1,
            rate_limit_waits=F("rate_limit_waits") + 1,
            rate_limit_waited_seconds=F("rate_limit_waited_seconds") + countdown,
        )
    with transaction.atomic():
        changed = RunStep.objects.filter(pk=claim.step_id, attempts=claim.attempt, status=StepStatus.RUNNING).update(
            **changes
        )
        if changed:
            push_heartbeat(claim.run_id, due)
            record_event(
                "step.retry_scheduled",
                run=AnalysisRun.objects.only("id", "deal_id").get(pk=claim.run_id),
                object_type="RunStep",
                object_id=claim.step_id,
                data={
                    "domain": claim.domain,
                    "kind": claim.kind,
                    "attempt": claim.attempt,
                    "error": error,
                    "countdown": countdown,
                    "attempt_spent": spend_attempt,
                    **(data or {}),
                },
                severity=EventSeverity.WARNING,
            )
    return bool(changed)


def domain_finished(steps: list[RunStep]) -> bool:
    if any(s.status == StepStatus.FAILED for s in steps):
        return True
    return all(s.status in SETTLED_STEP_STATUSES for s in steps)


def all_domains_finished(run: AnalysisRun) -> bool:
    by_domain: dict[str, list[RunStep]] = {}
    for step in RunStep.objects.filter(run=run):
        by_domain.setdefault(step.domain, []).append(step)
    return all(domain_finished(steps) for steps in by_domain.values())


def _after_step_settled(run: AnalysisRun) -> None:
    """Fan-in, counted in the database under the run lock: the last domain to finish asks for finalize."""
    if run.finalize_dispatched_at is None and all_domains_finished(run):
        run.finalize_dispatched_at = timezone.now()
        run.save(update_fields=["finalize_dispatched_at"])
        run_id = run.pk
        transaction.on_commit(lambda: finalize_requested.send(sender=AnalysisRun, run_id=run_id))


# The pipeline (workers/) listens and dispatches the finalize task; analysis/ never imports workers/.
finalize_requested = Signal()
