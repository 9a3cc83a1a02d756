"""A step's life: claim (fence) → engine (outside any transaction) → persist or fail, then fan-in.

Only the step's own row is locked (`SELECT … FOR UPDATE`, SKIP LOCKED at claim): the run row is never
held across a step's save, so one slow or frozen save cannot stall the run's other steps or other runs.
A claim bumps `attempts`, the fencing token: a persist whose attempt is no longer the step's current one
writes nothing, so a stale duplicate delivery can never overwrite or duplicate the work of the copy that
claimed after it. A duplicate of a step whose owner is alive backs off without spending an attempt.
Every status change goes through lifecycle.py; fan-in runs after the step's commit (lifecycle).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.dispatch import Signal
from django.utils import timezone

from audit.models import EventSeverity
from audit.services import truncate_error, worker_label
from dealiq.schemas import DiscoveryResult, ItemReport, ReasoningResult, Usage

from ..models import (
    ACTIVE_RUN_STATUSES,
    DISCOVERY_ENTITY,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    AnalysisRun,
    EngineCall,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from . import lifecycle
from .lifecycle import (  # noqa: F401
    after_step_settled,
    all_domains_finished,
    domain_finished,
    finalize_requested,
    mark_running,
    step_is_alive,
)
from .persist import upsert_discovery, upsert_reasoning

logger = logging.getLogger(__name__)

DB_ERRORS = (OperationalError, InterfaceError)

# Sent after a step settles or fails (the `analyze` command prints progress from it in eager mode).
step_finished = Signal()


class SkipReason(StrEnum):
    """Why a step was not claimed. Callers branch on the member, never on the text (which is for logs)."""

    ALREADY_DONE = "already done"
    RUN_FINISHED = "run is no longer active"
    BLOCKED = "an earlier step of this domain is not done"
    # Reasoning reads the whole deal's facts and gaps: its message may arrive before the other domains'
    # discovery finished; the step that finishes the deal's discovery sends it again.
    WAITING_FOR_DISCOVERY = "waiting for the other domains' discovery"
    OUT_OF_ATTEMPTS = "out of attempts"
    BUSY = "another worker is on this step"


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
    deal_id: int | None = None  # the run's deal (audit events need it; known at claim, saves a query)
    # The step's sub-checkpoints as the claim found them (saved answers and batches to replay): read by the
    # claim itself, so the step does not read them again. None: read them from the row.
    partial: dict | None = field(default=None, compare=False, repr=False)
    # The step's input fingerprint (services/reuse.py), stored with the step's checkpoint when it settles,
    # so a later run can reuse its results.
    fingerprint: str = field(default="", compare=False, repr=False)

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


def bounded_transaction() -> None:
    """Inside a step's transaction on PostgreSQL: wait for a lock at most DEALIQ_STEP_LOCK_TIMEOUT_MS and
    let the server end the transaction after DEALIQ_STEP_IDLE_TIMEOUT_MS idle (a frozen worker)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('idle_in_transaction_session_timeout', %s, true)",
            [str(settings.DEALIQ_STEP_LOCK_TIMEOUT_MS), str(settings.DEALIQ_STEP_IDLE_TIMEOUT_MS)],
        )


def _locked(run_id: int, step_id: int) -> tuple[AnalysisRun, RunStep]:
    """The step row locked, the run read without a lock (its status is checked by the fence): one
    statement (`FOR UPDATE OF` the step only). On PostgreSQL the same statement bounds the transaction
    (see `bounded_transaction`): its select list is evaluated before the row lock is waited for, so the
    lock_timeout already applies to that wait."""
    rows = RunStep.objects.select_related("run").select_for_update(of=("self",))
    if connection.vendor == "postgresql":
        rows = rows.annotate(_bounded=RawSQL(
            "set_config('lock_timeout', %s, true) || set_config('idle_in_transaction_session_timeout', %s, true)",
            [str(settings.DEALIQ_STEP_LOCK_TIMEOUT_MS), str(settings.DEALIQ_STEP_IDLE_TIMEOUT_MS)],
        ))
    step = rows.get(pk=step_id, run_id=run_id)
    return step.run, step


# A step row is locked for a moment by the stamps on it (received, published, heartbeat, a saved answer);
# a claim or a save holds it longer. A copy finding it locked waits this long before backing off as
# "busy" (a retry after about two heartbeats): backing off from a stamp held a step up by seconds.
BRIEF_LOCK_WAIT_MS = 1000


def _wait_briefly_for_row(rows) -> RunStep | None:
    """The step row, locked after waiting at most BRIEF_LOCK_WAIT_MS; None if it stays locked."""
    if connection.vendor != "postgresql":
        return None
    try:
        with transaction.atomic():  # a savepoint: a lock timeout must not abort the claim's transaction
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(BRIEF_LOCK_WAIT_MS)])
            step = rows.select_for_update().first()
    except OperationalError:
        step = None
    with connection.cursor() as cursor:  # the claim's own bound again for what follows
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(settings.DEALIQ_STEP_LOCK_TIMEOUT_MS)])
    return step


def _share_run_row(run_id: int) -> None:
    """FOR SHARE on the run row for the claim's short transaction: claims of one run do not wait for each
    other, but a cancel (an UPDATE of the row) waits for claims in flight, and a claim that starts during a
    cancel sees the cancelled run. Taken before the step lock, in the order a cancel takes them."""
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers anyway
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {AnalysisRun._meta.db_table} WHERE id = %s FOR SHARE", [run_id])


def claim_step(run_id: int, domain: str, kind: str, *, task_id: str = "", worker: str = "") -> ClaimResult:
    """Claim the step: one statement when every guard holds (PostgreSQL), else the guards one by one,
    which also says why a step cannot be claimed (and fails one that is out of attempts)."""
    max_attempts = settings.DEALIQ_STEP_MAX_ATTEMPTS
    if lifecycle.waits_for_deal_discovery(run_id, kind):
        # Checked before locking the row: a copy that only looks and skips must not make the copies
        # arriving with it back off as "busy" (they could be the one that is due). This copy goes away:
        # it clears the step's `dispatched_at` first, so the step that finishes the discovery sends the
        # step again; looking once more after that closes the race with a discovery finishing meanwhile
        # (either it is finished now and this copy claims, or its fan-in comes later and sees the mark).
        RunStep.objects.filter(run_id=run_id, domain=domain, kind=kind, status=StepStatus.PENDING).update(
            dispatched_at=None
        )
        if lifecycle.waits_for_deal_discovery(run_id, kind):
            return ClaimResult(None, SkipReason.WAITING_FOR_DISCOVERY)
    row = lifecycle.claim_in_one_statement(
        run_id, domain, kind, task_id=task_id, worker=worker or worker_label(), max_attempts=max_attempts
    )
    if row is not None:
        return ClaimResult(Claim(
            run_id, row.step_id, domain, kind, row.attempt, row.attempt_floor,
            row.rate_limit_waits, row.rate_limit_waited_seconds, deal_id=row.deal_id, partial=row.partial,
        ))
    return _claim_step_checked(run_id, domain, kind, task_id=task_id, worker=worker)


def _claim_step_checked(run_id: int, domain: str, kind: str, *, task_id: str = "", worker: str = "") -> ClaimResult:
    max_attempts = settings.DEALIQ_STEP_MAX_ATTEMPTS
    out_of_attempts = starts_run = False
    with transaction.atomic():
        bounded_transaction()
        _share_run_row(run_id)
        rows = RunStep.objects.filter(run_id=run_id, domain=domain, kind=kind)
        # SKIP LOCKED: a step row locked right now is being claimed or saved by another copy.
        step = rows.select_for_update(skip_locked=True).first()
        if step is None and rows.exists():
            step = _wait_briefly_for_row(rows)
        if step is None:
            return ClaimResult(None, SkipReason.BUSY if rows.exists() else SkipReason.ALREADY_DONE)
        run = AnalysisRun.objects.get(pk=run_id)
        if step.status in SETTLED_STEP_STATUSES:
            return ClaimResult(None, SkipReason.ALREADY_DONE)
        if run.status not in ACTIVE_RUN_STATUSES:
            return ClaimResult(None, SkipReason.RUN_FINISHED)
        if _earlier_steps_unsettled(run_id, domain, kind):
            return ClaimResult(None, SkipReason.BLOCKED)
        if lifecycle.waits_for_deal_discovery(run_id, kind):
            return ClaimResult(None, SkipReason.WAITING_FOR_DISCOVERY)
        if step.status == StepStatus.RUNNING and step_is_alive(step):
            # A duplicate delivery while the owner still heartbeats: back off, spend no attempt.
            return ClaimResult(None, SkipReason.BUSY)
        if step.attempts - step.attempt_floor >= max_attempts:
            _fail_locked(run, step, f"gave up after {step.attempts} attempts (worker lost or stalled each time)")
            out_of_attempts = True
        else:
            now = timezone.now()
            attempt = step.attempts + 1
            label = worker or worker_label()
            lifecycle.move_step(
                step.pk,
                "claim",
                fields={
                    "attempts": attempt,
                    "task_id": task_id or step.task_id,
                    "worker": label,
                    "held_by": "",
                    "heartbeat_at": now,
                    "started_at": step.started_at or now,
                    "error": "",
                },
                actor_label=label,
                run_id=run_id,
                data={"domain": domain, "kind": kind, "attempt": attempt, "task_id": task_id},
            )
            starts_run = run.status == RunStatus.QUEUED
            claim = Claim(
                run_id, step.pk, domain, kind, attempt, step.attempt_floor,
                step.rate_limit_waits, step.rate_limit_waited_seconds, deal_id=run.deal_id,
            )
    if out_of_attempts:
        after_step_settled(run_id, discovery_settled=kind != StepKind.REASON)
        return ClaimResult(None, SkipReason.OUT_OF_ATTEMPTS)
    if starts_run:
        # After the claim's commit: inside it this transaction holds the run row FOR SHARE, and two first
        # claims upgrading their share locks to UPDATE the row would deadlock each other.
        mark_running(run_id, deal_id=run.deal_id)
    return ClaimResult(claim)


def _check_fence(run: AnalysisRun, step: RunStep, claim: Claim) -> None:
    if run.status not in ACTIVE_RUN_STATUSES:
        raise StaleClaim(f"run {run.pk} is {run.status}")
    if step.status != StepStatus.RUNNING or step.attempts != claim.attempt:
        raise StaleClaim(f"step {step.pk} is {step.status} at attempt {step.attempts}, not {claim.attempt}")


def heartbeat(claim: Claim) -> None:
    """One cheap UPDATE: the step is alive (only while it is still this claim's)."""
    RunStep.objects.filter(pk=claim.step_id, attempts=claim.attempt, status=StepStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )


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


def saved_batches(step_id: int, partial: dict | None = None) -> dict[int, DiscoveryResult]:
    """The grounded results of document batches done by earlier attempts (`partial`: as the claim read it)."""
    if partial is None:
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
        self.answers = {**saved_answers(claim.step_id, claim.partial), **held}
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


def saved_answers(step_id: int, partial: dict | None = None) -> dict[str, dict]:
    if partial is None:
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
    # The run's usage is recounted from its steps once this commits (no run-row lock across a save).
    transaction.on_commit(lambda: lifecycle.refresh_progress(run.pk))
    return fresh


def _settle(
    run: AnalysisRun, step: RunStep, claim: Claim, usage: Usage, counts: dict[str, int], items: ItemReport
) -> None:
    now = timezone.now()
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
    fields = {
        name: getattr(step, name)
        for name in (*step.USAGE_FIELDS, "facts_written", "gaps_written", "findings_written", "items_written",
                     "dropped_ungrounded", "dropped_links", "item_report", "partial")
    }
    if claim.fingerprint:
        fields["input_fingerprint"] = claim.fingerprint
    lifecycle.move_step(
        step.pk,
        "settle",
        attempt=claim.attempt,
        fields={**fields, "finished_at": now, "heartbeat_at": now, "held_by": ""},
        actor_label=step.worker,
        run_id=run.pk,
        deal_id=run.deal_id,
        data={"domain": step.domain, "kind": step.kind, "attempt": claim.attempt, **counts},
    )


def persist_discovery(claim: Claim, result: DiscoveryResult) -> dict[str, int]:
    """Fence check + upsert facts and gaps + checkpoint + progress, in one transaction."""
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        _check_fence(run, step, claim)
        counts = upsert_discovery(run, result)
        _settle(run, step, claim, result.usage, counts, result.items)
    announce_settled(claim, StepStatus.DONE, counts)
    return counts


def announce_settled(claim: Claim, status: str, counts: dict[str, int]) -> None:
    """After a step's commit (done, reused or failed): the fan-in — finalize when every domain finished,
    or the reasoning steps waiting for the deal's discovery — then `step_finished`. A finished buyer
    step's chain goes on into its domain's reasoning step by itself; a failed step's does not."""
    continues = status != StepStatus.FAILED and claim.kind == StepKind.DISCOVER_BUYER
    after_step_settled(
        claim.run_id,
        continuing_domain=claim.domain if continues else None,
        discovery_settled=claim.kind != StepKind.REASON,
    )
    step_finished.send(sender=RunStep, step_id=claim.step_id, status=status, counts=counts)


def persist_reasoning(claim: Claim, result: ReasoningResult) -> dict[str, int]:
    with transaction.atomic():
        run, step = _locked(claim.run_id, claim.step_id)
        _check_fence(run, step, claim)
        counts = upsert_reasoning(run, claim.domain, result)
        _settle(run, step, claim, result.usage, counts, result.items)
    announce_settled(claim, StepStatus.DONE, counts)
    return counts


def _fail_locked(run: AnalysisRun, step: RunStep, error: str, *, full_error: str = "") -> None:
    """The step fails (its row is locked by the caller); the caller runs the fan-in after commit."""
    lifecycle.move_step(
        step.pk,
        "fail",
        fields={"error": truncate_error(error), "finished_at": timezone.now(), "held_by": ""},
        actor_label=step.worker,
        run_id=run.pk,
        deal_id=run.deal_id,
        severity=EventSeverity.ERROR,
        data={"domain": step.domain, "kind": step.kind, "attempt": step.attempts, "error": full_error or error},
    )


def fail_step(claim: Claim, error: str, *, full_error: str = "") -> bool:
    """Permanent failure: the step is `failed` with a readable error; finished steps stay."""
    try:
        with transaction.atomic():
            run, step = _locked(claim.run_id, claim.step_id)
            _check_fence(run, step, claim)
            _fail_locked(run, step, error, full_error=full_error)
    except StaleClaim:
        return False
    announce_settled(claim, StepStatus.FAILED, {})
    return True


def park_for_message_batch(claim: Claim, batch_id: str) -> bool:
    """running → waiting: the step's discovery calls are in a Message Batch (results within 24 h).

    Nothing is persisted and the worker is freed; `resume_waiting_step` sends the step again once the
    batch has ended. Waiting is not a failure: the attempt budget starts afresh from here.
    """
    return lifecycle.move_step(
        claim.step_id,
        "park",
        attempt=claim.attempt,
        fields={"message_batch_id": batch_id, "attempt_floor": F("attempts"), "error": ""},
        run_id=claim.run_id,
        deal_id=claim.deal_id,
        data={"domain": claim.domain, "kind": claim.kind, "attempt": claim.attempt, "message_batch": batch_id},
    )


def resume_waiting_step(step: RunStep) -> bool:
    """waiting → pending once its batch has ended (conditional: one poller wins)."""
    return lifecycle.move_step(
        step.pk,
        "resume",
        run_id=step.run_id,
        data={"domain": step.domain, "kind": step.kind, "message_batch": step.message_batch_id},
    )


def release_for_retry(
    claim: Claim, error: str, *, countdown: float = 0.0, data: dict | None = None, spend_attempt: bool = True
) -> bool:
    """Transient failure: back to pending (a retry is scheduled) with the error kept for the timeline.

    The heartbeat moves to when the retry is due, so the watchdog does not mistake the backoff for a stall.
    `spend_attempt=False` (a provider rate limit within its wait budget) gives the attempt back: the
    fencing token `attempts` still only grows, the cap's floor moves up by one instead.
    """
    due = timezone.now() + dt.timedelta(seconds=countdown)
    changes = {"error": truncate_error(error), "heartbeat_at": due, "retries": F("retries") + 1}
    if not spend_attempt:
        changes.update(
            attempt_floor=F("attempt_floor") + 1,
            rate_limit_waits=F("rate_limit_waits") + 1,
            rate_limit_waited_seconds=F("rate_limit_waited_seconds") + countdown,
        )
    with transaction.atomic():
        changed = lifecycle.move_step(
            claim.step_id,
            "retry",
            attempt=claim.attempt,
            # Its worker holds the step until the retry message is out (then the publish clears it).
            fields={**changes, "held_by": F("worker")},
            run_id=claim.run_id,
            deal_id=claim.deal_id,
            severity=EventSeverity.WARNING,
            data={
                "domain": claim.domain,
                "kind": claim.kind,
                "attempt": claim.attempt,
                "error": error,
                "countdown": countdown,
                "attempt_spent": spend_attempt,
                **(data or {}),
            },
        )
        if changed:
            push_heartbeat(claim.run_id, due)
    return bool(changed)
