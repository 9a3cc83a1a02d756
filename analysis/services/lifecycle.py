"""The life of an AnalysisRun and its RunSteps: the one module that writes their `status`.

Every page, command, task and the watchdog moves a run or a step through `move_run` / `move_step` /
`move_steps` and the declared tables below (source states → target state, guard, audit event). Each
move is one conditional UPDATE (`… WHERE status IN (sources)`), so two workers, a double click or the
watchdog and a manager at once make a transition at most once: the loser sees 0 rows changed.

A run reaches a finished state (completed, failed, cancelled) only here, and every such move sends
`run_finished` on commit: notifications, the batch recount and the webhook hang off that one path.

Liveness (`step_is_alive`, `lost_frontier_steps`) also lives here: a step is lost only if a worker
claimed or received it and stopped heartbeating, or its message is known gone — never because it waits
its turn in a long queue.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.dispatch import Signal
from django.utils import timezone

from audit.models import AuditEvent, EventSeverity
from audit.services import record_event

from ..models import (
    ACTIVE_RUN_STATUSES,
    FINISHED_RUN_STATUSES,
    SETTLED_STEP_STATUSES,
    STEP_ORDER,
    AnalysisRun,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from .durability import ASYNC_COMMIT_CTE

R, S = RunStatus, StepStatus
logger = logging.getLogger(__name__)

# Sent on commit whenever a run reaches completed, failed or cancelled (the only "run finished" path).
run_finished = Signal()
# Sent on commit when the last domain of a run finished: the pipeline (workers/) dispatches finalize.
finalize_requested = Signal()
# Sent when the deal's discovery finished (every domain that did not fail has both discovery steps
# settled) with `domains`: the reasoning steps whose message came too early (they reason over the whole
# deal's facts, so they wait for all of them) and must be sent now. workers/ dispatches them.
reasoning_ready = Signal()


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    event: str | None  # the audit event recorded by `move_run` / `move_step` (None: the caller records one)
    guard: str  # what must hold besides the source state (checked by the caller, documented here)


def _table(*transitions: Transition) -> dict[str, Transition]:
    return {t.name: t for t in transitions}


RUN_TRANSITIONS = _table(
    Transition("start", (R.QUEUED,), R.RUNNING, "run.started", "the run's first step is claimed"),
    Transition("complete", (R.QUEUED, R.RUNNING), R.COMPLETED, "run.completed",
               "finalize: every domain finished and no step failed"),
    Transition("fail", (R.QUEUED, R.RUNNING), R.FAILED, "run.failed",
               "finalize: every domain finished and some step failed"),
    Transition("fail_stalled", (R.QUEUED, R.RUNNING), R.FAILED, "run.failed",
               "watchdog: lost more than DEALIQ_MAX_AUTO_REQUEUES times"),
    Transition("cancel", (R.QUEUED, R.RUNNING), R.CANCELLED, "run.cancelled", "a manager cancels"),
    Transition("requeue", (R.FAILED, R.CANCELLED), R.QUEUED, "run.requeued", "a manager re-queues"),
    Transition("requeue_stalled", (R.RUNNING,), R.QUEUED, "run.requeued",
               "a manager re-queues an active run that has no live worker (`run_has_live_worker` is false)"),
)

STEP_TRANSITIONS = _table(
    Transition("claim", (S.PENDING, S.RUNNING, S.WAITING), S.RUNNING, "step.claimed",
               "run active; earlier steps of the domain settled; a running step's owner is not alive; "
               "attempts left (a claim bumps `attempts`, the fencing token)"),
    Transition("settle", (S.RUNNING,), S.DONE, "step.done", "the claim's attempt is still the step's (fence)"),
    Transition("reuse", (S.RUNNING,), S.REUSED, "step.reused",
               "fence; a completed run of the deal has a settled step with the same input fingerprint "
               "(services/reuse.py), whose rows were copied in the same transaction"),
    Transition("fail", (S.RUNNING, S.PENDING, S.WAITING), S.FAILED, "step.failed",
               "fence, or out of attempts at claim"),
    Transition("retry", (S.RUNNING,), S.PENDING, "step.retry_scheduled", "fence; a transient error"),
    Transition("park", (S.RUNNING,), S.WAITING, "step.waiting_for_batch", "fence; calls sent as a message batch"),
    Transition("resume", (S.WAITING,), S.PENDING, "step.batch_ended", "the message batch has ended"),
    Transition("interrupt", (S.RUNNING, S.WAITING), S.PENDING, None, "the run is cancelled"),
    Transition("reset", (S.PENDING, S.RUNNING, S.WAITING, S.FAILED), S.PENDING, None, "the run is re-queued"),
    Transition("recover", (S.PENDING, S.RUNNING), S.PENDING, None,
               "watchdog: its worker stopped heartbeating or its message is gone"),
    Transition("fail_stalled", (S.PENDING, S.RUNNING), S.FAILED, None, "the run fails as stalled"),
    Transition("import", (S.PENDING,), S.DONE, None, "an imported analysis: the step's results came from a file"),
)


@dataclass(frozen=True)
class TransitionResult:
    changed: bool
    message: str


def _finished_on_commit(run_id: int, status: str) -> None:
    transaction.on_commit(lambda: run_finished.send(sender=AnalysisRun, run_id=run_id, status=status))


def move_run(
    run_id: int,
    name: str,
    *,
    fields: dict | None = None,
    actor=None,
    data: dict | None = None,
    severity: str = EventSeverity.INFO,
    where: Q | None = None,
    deal_id: int | None = None,
) -> bool:
    """Apply RUN_TRANSITIONS[name] to one run if it is in a source state; True if it moved (`deal_id`,
    when the caller knows it, saves the audit event a query)."""
    transition = RUN_TRANSITIONS[name]
    with transaction.atomic():
        rows = AnalysisRun.objects.filter(pk=run_id, status__in=transition.sources)
        if where is not None:
            rows = rows.filter(where)
        changed = rows.update(status=transition.target, **(fields or {}))
        if changed:
            if transition.event:
                record_event(transition.event, actor=actor, run=run_id, deal=deal_id, object_type="AnalysisRun",
                             object_id=run_id, severity=severity, data=data or {})
            if transition.target in FINISHED_RUN_STATUSES:
                _finished_on_commit(run_id, transition.target)
    return bool(changed)


def move_step(
    step_id: int,
    name: str,
    *,
    attempt: int | None = None,
    fields: dict | None = None,
    data: dict | None = None,
    actor_label: str = "",
    severity: str = EventSeverity.INFO,
    run_id: int | None = None,
    deal_id: int | None = None,
) -> bool:
    """Apply STEP_TRANSITIONS[name] to one step (only at `attempt`, when given: the fence).

    Two statements when the caller knows `run_id` and `deal_id` (the UPDATE and its audit event): no
    savepoint either — the move and its event commit or roll back with the caller's transaction."""
    transition = STEP_TRANSITIONS[name]
    rows = RunStep.objects.filter(pk=step_id, status__in=transition.sources)
    if attempt is not None:
        rows = rows.filter(attempts=attempt)
    with transaction.atomic(savepoint=False):
        changed = rows.update(status=transition.target, **(fields or {}))
        if changed and transition.event:
            if run_id is None:
                run_id = RunStep.objects.values_list("run_id", flat=True).get(pk=step_id)
            record_event(transition.event, actor_label=actor_label, run=run_id, deal=deal_id, object_type="RunStep",
                         object_id=step_id, severity=severity, data=data or {})
    return bool(changed)


@dataclass(frozen=True)
class ClaimedRow:
    step_id: int
    attempt: int
    attempt_floor: int
    rate_limit_waits: int
    rate_limit_waited_seconds: float
    partial: dict
    deal_id: int


def _claim_sql() -> str:
    run_t, step_t, event_t = AnalysisRun._meta.db_table, RunStep._meta.db_table, AuditEvent._meta.db_table
    claim = STEP_TRANSITIONS["claim"]
    quoted = lambda values: ", ".join(f"'{v}'" for v in values)  # noqa: E731 — our own enum values
    settled = quoted(SETTLED_STEP_STATUSES)
    return f"""
    WITH run AS (
        -- FOR SHARE, as a claim always took it: claims of one run do not wait for each other, a cancel
        -- (an UPDATE of the row) waits for claims in flight, and a claim after a cancel sees it. The
        -- select list runs before the lock is waited for: the step lock timeout bounds that wait.
        SELECT id, deal_id, status, set_config('lock_timeout', %(lock_timeout)s, true) FROM {run_t}
        WHERE id = %(run)s AND status IN ({quoted(ACTIVE_RUN_STATUSES)}) FOR SHARE
    ), target AS (
        SELECT s.id FROM {step_t} s, run
        WHERE s.run_id = run.id AND s.domain = %(domain)s AND s.kind = %(kind)s
          AND s.status IN ({quoted(claim.sources)})
          -- a running step is taken over only from an owner that stopped heartbeating
          AND (s.status <> '{StepStatus.RUNNING}' OR s.heartbeat_at IS NULL OR s.heartbeat_at < %(stale_before)s)
          AND s.attempts - s.attempt_floor < %(max_attempts)s
          AND NOT EXISTS (SELECT 1 FROM {step_t} e WHERE e.run_id = s.run_id AND e.domain = s.domain
                          AND e.kind = ANY(%(earlier)s::text[]) AND e.status NOT IN ({settled}))
        FOR UPDATE OF s SKIP LOCKED
    ), claimed AS (
        UPDATE {step_t} u SET status = '{claim.target}', attempts = u.attempts + 1,
            task_id = CASE WHEN %(task_id)s = '' THEN u.task_id ELSE %(task_id)s END,
            worker = %(worker)s, held_by = '', heartbeat_at = %(now)s,
            started_at = COALESCE(u.started_at, %(now)s), error = ''
        FROM target WHERE u.id = target.id
        RETURNING u.id, u.attempts, u.attempt_floor, u.rate_limit_waits, u.rate_limit_waited_seconds, u.partial
    ), events AS (
        INSERT INTO {event_t} (at, actor_id, actor_label, deal_id, run_id, event_type, object_type, object_id,
                               severity, data)
        SELECT %(now)s, NULL::integer, %(worker)s, run.deal_id, run.id, '{claim.event}', 'RunStep', claimed.id::text,
               '{EventSeverity.INFO}',
               jsonb_build_object('domain', %(domain)s, 'kind', %(kind)s, 'attempt', claimed.attempts,
                                  'task_id', %(task_id)s)
        FROM claimed, run
    )
    SELECT claimed.*, run.deal_id, run.status FROM claimed, run"""


def claim_in_one_statement(
    run_id: int, domain: str, kind: str, *, task_id: str, worker: str, max_attempts: int
) -> ClaimedRow | None:
    """The "claim" transition with its audit event, in one statement on PostgreSQL (the run's "start",
    on its first claims only, is one more), when every guard holds: run active, earlier steps of the domain
    settled, the step pending/waiting or its running owner stale, attempts left, its row not locked by
    another copy (SKIP LOCKED). None: some guard failed (or not PostgreSQL) — the caller finds out
    which, on the slower path that takes the same decisions one by one."""
    if connection.vendor != "postgresql":
        return None
    earlier = [str(k) for k in STEP_ORDER[: STEP_ORDER.index(StepKind(kind))]]
    now = timezone.now()
    params = {
        "run": run_id, "domain": domain, "kind": kind, "task_id": task_id or "", "worker": worker, "now": now,
        "stale_before": stale_cutoff(now), "max_attempts": max_attempts, "earlier": earlier,
        "lock_timeout": str(settings.DEALIQ_STEP_LOCK_TIMEOUT_MS),
    }
    with connection.cursor() as cursor:  # autocommit: one round trip, no transaction left open
        cursor.execute(_claim_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    partial = json.loads(row[5]) if isinstance(row[5], str) else row[5]
    if row[7] in RUN_TRANSITIONS["start"].sources:
        # The run's first claim starts it — in its own statement: a claim holds the run row FOR SHARE,
        # and two claims each upgrading their share lock to UPDATE it in one statement would deadlock.
        mark_running(run_id, deal_id=row[6])
    return ClaimedRow(row[0], row[1], row[2], row[3], row[4], partial or {}, row[6])


def move_steps(steps, name: str, *, fields: dict | None = None) -> int:
    """Apply STEP_TRANSITIONS[name] to every step of a queryset in a source state (no per-step event:
    the run-level transition that caused it records one)."""
    transition = STEP_TRANSITIONS[name]
    return steps.filter(status__in=transition.sources).update(status=transition.target, **(fields or {}))


# --- fan-in and progress (no lock on the run row held across a step's save) -------------------


def domain_finished(steps: list[RunStep]) -> bool:
    if any(s.status == StepStatus.FAILED for s in steps):
        return True
    return all(s.status in SETTLED_STEP_STATUSES for s in steps)


def _by_domain(steps) -> dict[str, list[RunStep]]:
    by_domain: dict[str, list[RunStep]] = {}
    for step in steps:
        by_domain.setdefault(step.domain, []).append(step)
    return by_domain


def all_domains_finished(run) -> bool:
    run_id = run if isinstance(run, int) else run.pk
    steps = RunStep.objects.filter(run_id=run_id).only("domain", "status")
    return all(domain_finished(domain_steps) for domain_steps in _by_domain(steps).values())


def _recount_sql(*, fan_in: bool) -> str:
    """One UPDATE of the run row from its steps: progress, usage and (fan_in) "was I the last domain?".

    Portable SQL (PostgreSQL, SQLite ≥ 3.33). A domain is finished when one of its steps failed or all
    are settled, so the run is finished when no step is unsettled in a domain without a failed step."""
    run_t, step_t = AnalysisRun._meta.db_table, RunStep._meta.db_table
    settled = ", ".join(f"'{s}'" for s in SETTLED_STEP_STATUSES)
    finished = ", ".join(f"'{s}'" for s in (*SETTLED_STEP_STATUSES, StepStatus.FAILED))
    active = ", ".join(f"'{s}'" for s in ACTIVE_RUN_STATUSES)
    usage = AnalysisRun.USAGE_FIELDS
    sums = ", ".join(f"COALESCE(SUM({f}), 0) AS {f}" for f in usage)
    sets = ", ".join(f"{f} = totals.{f}" for f in usage)
    fan_in_set = fan_in_ret = ""
    if fan_in:
        fan_in_set = f""",
            finalize_dispatched_at = CASE
                WHEN {run_t}.finalize_dispatched_at IS NULL AND {run_t}.status IN ({active}) AND NOT EXISTS (
                    SELECT 1 FROM {step_t} u WHERE u.run_id = %(run)s AND u.status NOT IN ({finished})
                    AND NOT EXISTS (SELECT 1 FROM {step_t} f
                                    WHERE f.run_id = u.run_id AND f.domain = u.domain AND f.status = '{StepStatus.FAILED}'))
                THEN %(now)s ELSE {run_t}.finalize_dispatched_at END"""
        fan_in_ret = " RETURNING finalize_dispatched_at"
    # PostgreSQL, in autocommit: the recount and the fan-in stamp are hints (services/durability.py), no disk
    # wait. Inside a caller's transaction the setting would cover the caller's writes too: not there.
    relaxed = connection.vendor == "postgresql" and not connection.in_atomic_block
    async_cte, async_from = ("WITH " + ASYNC_COMMIT_CTE, ", async_commit") if relaxed else ("", "")
    return f"""
        {async_cte}
        UPDATE {run_t} SET
            steps_done = totals.done,
            dropped_ungrounded = totals.dropped,
            {sets},
            progress = CASE WHEN {run_t}.steps_total > 0 THEN totals.done * 100 / {run_t}.steps_total
                            ELSE {run_t}.progress END,
            heartbeat_at = %(now)s{fan_in_set}
        FROM (SELECT COALESCE(SUM(CASE WHEN status IN ({settled}) THEN 1 ELSE 0 END), 0) AS done,
                     COALESCE(SUM(dropped_ungrounded), 0) AS dropped, {sums}
              FROM {step_t} WHERE run_id = %(run)s) AS totals{async_from}
        WHERE {run_t}.id = %(run)s{fan_in_ret}"""


def refresh_progress(run_id: int) -> None:
    """Recount the run's progress and usage from its steps in one UPDATE (idempotent: a crash between a
    step's commit and this call is repaired by the next call, and finalize recounts anyway). Runs in
    autocommit: the run row is locked only for this one statement."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_recount_sql(fan_in=False), {"run": run_id, "now": now})


def deal_discovery_finished(steps: list[RunStep]) -> bool:
    """Every domain that has not failed has both its discovery steps settled: the deal's facts and gaps
    are complete, reasoning (which reads all of them) may start."""
    return all(
        any(s.status == StepStatus.FAILED for s in domain_steps)
        or all(s.status in SETTLED_STEP_STATUSES for s in domain_steps if s.kind != StepKind.REASON)
        for domain_steps in _by_domain(steps).values()
    )


def waits_for_deal_discovery(run_id: int, kind: str) -> bool:
    """A reasoning step waits until the deal's discovery finished (one query)."""
    if kind != StepKind.REASON:
        return False
    return not deal_discovery_finished(list(RunStep.objects.filter(run_id=run_id).only("domain", "kind", "status")))


def _send_waiting_reasoning(run_id: int, steps: list[RunStep], continuing_domain: str | None) -> None:
    """The deal's discovery just finished: send the reasoning steps that were skipped while it ran (a
    skipped copy clears `dispatched_at`) or whose message went out before it finished. The domain whose
    chain goes on into its own reasoning step is left out; the conditional UPDATE (message stamped after
    the last discovery finished) lets one of two steps finishing together send them. A copy too many is
    harmless: the claim skips a done step and backs off from a running one."""
    finished = [s.finished_at for s in steps if s.kind != StepKind.REASON and s.finished_at is not None]
    if not finished:
        return
    barrier = max(finished)
    failed = {s.domain for s in steps if s.status == StepStatus.FAILED}
    waiting = (
        RunStep.objects.filter(run_id=run_id, kind=StepKind.REASON, status=StepStatus.PENDING)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=barrier))
        .exclude(domain__in=failed | ({continuing_domain} if continuing_domain else set()))
    )
    domains = []
    for step_id, domain in waiting.values_list("pk", "domain"):
        claimed = RunStep.objects.filter(pk=step_id).filter(
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=barrier)
        ).update(dispatched_at=timezone.now())
        if claimed:
            domains.append(domain)
    if domains:
        reasoning_ready.send(sender=AnalysisRun, run_id=run_id, domains=domains)


def after_step_settled(run_id: int, *, continuing_domain: str | None = None, discovery_settled: bool = False) -> bool:
    """Fan-in, after the step's own commit, in one statement with the progress recount: the step that sees
    every domain finished sets `finalize_dispatched_at` and asks for finalize. Two steps finishing
    together both look after committing (each statement's snapshot is taken after its own commit), so
    the later one always sees both; the row lock of the UPDATE lets exactly one of them set the stamp
    (the other reads back a different stamp). Otherwise, the step that sees the deal's discovery finished
    sends the reasoning steps waiting for it (`continuing_domain`: the domain whose chain goes on into its
    reasoning step by itself; `discovery_settled`: the step that settled was a discovery step — only then
    can the deal's discovery have just finished)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_recount_sql(fan_in=True), {"run": run_id, "now": now})
        row = cursor.fetchone()
    # PostgreSQL hands the stamp back as the aware datetime we sent; SQLite as a naive one for our text.
    stamped = row is not None and row[0] is not None and (
        row[0] == now if isinstance(now, dt.datetime) else str(row[0]) == str(now)
    )
    if not stamped and discovery_settled:
        steps = list(RunStep.objects.filter(run_id=run_id).only("domain", "kind", "status", "finished_at"))
        if deal_discovery_finished(steps):
            _send_waiting_reasoning(run_id, steps, continuing_domain)
    if stamped:
        finalize_requested.send(sender=AnalysisRun, run_id=run_id)
    return stamped


# --- liveness ---------------------------------------------------------------------------------


def stale_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=settings.DEALIQ_HEARTBEAT_STALE_SECONDS)


def step_is_alive(step: RunStep, now: dt.datetime | None = None) -> bool:
    """A running step (or a pending one whose message a worker holds) is alive while its heartbeat is
    fresh: the step's own thread beats while it runs, the holding worker beats for messages it holds."""
    return step.heartbeat_at is not None and step.heartbeat_at >= stale_cutoff(now)


def frontier_steps(run_id: int) -> list[tuple[RunStep, RunStep | None]]:
    """Per unfinished domain: its first unsettled step and the step before it (None for the first).

    A reasoning step waits for the whole deal's discovery: while any other domain still discovers it is
    not on the frontier (the step that finishes the discovery sends it), and the step "before" it is the
    discovery step that finished last (its message is due from then on)."""
    steps = list(RunStep.objects.filter(run_id=run_id))
    by_domain: dict[str, dict[str, RunStep]] = {}
    for step in steps:
        by_domain.setdefault(step.domain, {})[step.kind] = step
    discovery_done = deal_discovery_finished(steps)
    last_discovery = max(
        (s for s in steps if s.kind != StepKind.REASON and s.finished_at is not None),
        key=lambda s: s.finished_at,
        default=None,
    )
    frontier = []
    for domain_steps in by_domain.values():
        if any(s.status == StepStatus.FAILED for s in domain_steps.values()):
            continue
        previous = None
        for kind in STEP_ORDER:
            step = domain_steps.get(kind)
            if step is None:
                continue
            if step.status not in SETTLED_STEP_STATUSES:
                if kind == StepKind.REASON:
                    if not discovery_done:
                        break
                    previous = last_discovery or previous
                frontier.append((step, previous))
                break
            previous = step
    return frontier


def why_lost(
    step: RunStep, previous: RunStep | None, run: AnalysisRun, now: dt.datetime, broker_started_at=None,
    queued=None,
) -> str:
    """'' while the step is alive or merely waiting its turn; else the evidence that it is lost."""
    cutoff = stale_cutoff(now)
    if step.status == StepStatus.WAITING:  # its message batch poller moves it on
        return ""
    if (
        step.status == StepStatus.PENDING
        and broker_started_at is not None
        and step.dispatched_at is not None
        and step.dispatched_at < broker_started_at
    ):
        return f"sent at {step.dispatched_at:%H:%M:%S}, before the broker restarted at {broker_started_at:%H:%M:%S}"
    if step.status == StepStatus.RUNNING:
        return "" if step_is_alive(step, now) else f"claimed by {step.worker or '?'}, no heartbeat since {step.heartbeat_at:%H:%M:%S}"
    # pending
    if step.held_by and step_is_alive(step, now):
        return ""
    if step.held_by:
        return f"held by {step.held_by}, which stopped heartbeating"
    sent_after = previous.finished_at if previous is not None else run.created_at
    if step.dispatched_at is None or (sent_after and step.dispatched_at < sent_after):
        # The message was never sent (the process died between a commit and the publish).
        if sent_after is None or sent_after < cutoff:
            return "its message was never sent"
        return ""
    if queued is not None and step.dispatched_at < cutoff and not queued(step):
        # Sent a while ago, not in the broker's queue, and no live worker stamped it as held: the copy
        # went with a worker that died between taking the message and saying so.
        return f"sent at {step.dispatched_at:%H:%M:%S}, neither queued nor held by a live worker"
    lost_after = now - dt.timedelta(seconds=settings.DEALIQ_DISPATCH_LOST_SECONDS)
    if step.dispatched_at < lost_after:
        return f"sent at {step.dispatched_at:%H:%M:%S} and never received (longer than the visibility window)"
    return ""


def lost_frontier_steps(
    run: AnalysisRun, now: dt.datetime | None = None, broker_started_at=None, queued=None
) -> list[tuple[RunStep, str]]:
    """`queued(step)`, when given, says whether the broker's queue holds a message for the step (broker
    inspection); without it a message is taken as gone only after DEALIQ_DISPATCH_LOST_SECONDS."""
    now = now or timezone.now()
    lost = []
    for step, previous in frontier_steps(run.pk):
        reason = why_lost(step, previous, run, now, broker_started_at, queued)
        if reason:
            lost.append((step, reason))
    return lost


def run_has_live_worker(run: AnalysisRun, now: dt.datetime | None = None) -> bool:
    """True if some step of the run is running, held or waiting with a fresh heartbeat (or in a batch)."""
    cutoff = stale_cutoff(now)
    live = RunStep.objects.filter(run=run).filter(
        Q(status=StepStatus.WAITING)
        | Q(status=StepStatus.RUNNING, heartbeat_at__gte=cutoff)
        | Q(status=StepStatus.PENDING, held_by__gt="", heartbeat_at__gte=cutoff)
    )
    return live.exists()


def last_sign_of_life(run: AnalysisRun):
    """The latest heartbeat of the run or any of its steps (a step's own beat is not copied to the run)."""
    from django.db.models import Max

    latest = RunStep.objects.filter(run=run, heartbeat_at__lte=timezone.now()).aggregate(at=Max("heartbeat_at"))["at"]
    candidates = [t for t in (run.heartbeat_at, latest) if t is not None]
    return max(candidates) if candidates else None


def can_requeue(run: AnalysisRun) -> bool:
    if run.status in RUN_TRANSITIONS["requeue"].sources:
        return True
    return run.status in RUN_TRANSITIONS["requeue_stalled"].sources and not run_has_live_worker(run)


# --- the run's transitions, each with its guard ------------------------------------------------


def mark_running(run_id: int, *, deal_id: int | None = None) -> bool:
    """queued → running, the first time a step is claimed."""
    now = timezone.now()
    return move_run(run_id, "start", fields={"started_at": now, "heartbeat_at": now}, deal_id=deal_id)


def cancel_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """queued/running → cancelled. Steps inside the engine fail their fence at persist and write nothing;
    pending ones are skipped at claim. A step waiting for its message batch keeps the batch id."""
    with transaction.atomic():
        steps = RunStep.objects.filter(run_id=run.pk)
        interrupted = steps.filter(status__in=STEP_TRANSITIONS["interrupt"].sources).count()
        changed = move_run(run.pk, "cancel", fields={"completed_at": timezone.now()}, actor=actor,
                           severity=EventSeverity.WARNING, data={"interrupted_steps": interrupted})
        if changed:
            interrupted = move_steps(steps, "interrupt", fields={"error": "cancelled while running"})
    run.refresh_from_db()
    if not changed:
        return TransitionResult(False, f"Run {run.number} is {run.status}: only queued or running runs can be cancelled.")
    return TransitionResult(True, f"Run {run.number} cancelled.")


def requeue(run: AnalysisRun, *, actor=None) -> tuple[TransitionResult, list[RunStep]]:
    """failed/cancelled → queued, or (guard: no live worker) queued/running → queued: failed and
    interrupted steps go back to pending with a fresh attempt budget; done steps and their rows stay.
    The caller dispatches the returned steps' domains on commit."""
    stalled = run.status == RunStatus.RUNNING
    name = "requeue_stalled" if stalled else "requeue"
    if stalled and run_has_live_worker(run):
        return TransitionResult(False, f"Run {run.number} is {run.status} and a worker is on it: nothing to re-queue."), []
    with transaction.atomic():
        steps = list(RunStep.objects.filter(run=run).exclude(status__in=SETTLED_STEP_STATUSES).select_for_update())
        changed = move_run(
            run.pk,
            name,
            fields={
                "error": "",
                "completed_at": None,
                "finalize_dispatched_at": None,
                "auto_requeue_count": 0,
                "heartbeat_at": timezone.now(),
                "requeue_count": F("requeue_count") + 1,
            },
            actor=actor,
            data={"automatic": False, "stalled": stalled, "steps": [f"{s.domain}/{s.kind}" for s in steps]},
        )
        if not changed:
            run.refresh_from_db()
            return TransitionResult(
                False, f"Run {run.number} is {run.status}: only failed, cancelled or stalled runs can be re-queued."
            ), []
        for step in steps:
            # A fresh attempt budget after a human decided to retry.
            move_steps(RunStep.objects.filter(pk=step.pk), "reset", fields={
                "attempt_floor": F("attempts"), "finished_at": None, "held_by": "", "dispatched_at": None,
            })
    run.refresh_from_db()
    return TransitionResult(True, f"Run {run.number} re-queued ({len(steps)} step(s) to run)."), steps


def recover_lost(run: AnalysisRun, lost: list[tuple[RunStep, str]]) -> list[str]:
    """The watchdog's recovery of lost steps: back to pending (forgetting the dead holder); returns the
    domains to send again. Counted in `auto_requeue_count`."""
    with transaction.atomic():
        for step, reason in lost:
            move_steps(RunStep.objects.filter(pk=step.pk, attempts=step.attempts), "recover", fields={
                "error": f"re-queued by the watchdog: {reason}"[:500], "held_by": "", "dispatched_at": None,
            })
        AnalysisRun.objects.filter(pk=run.pk).update(
            auto_requeue_count=F("auto_requeue_count") + 1, heartbeat_at=timezone.now()
        )
        record_event(
            "run.requeued",
            run=run,
            obj=run,
            severity=EventSeverity.WARNING,
            data={
                "automatic": True,
                "steps": {f"{s.domain}/{s.kind}": reason for s, reason in lost},
                "auto_requeue_count": run.auto_requeue_count + 1,
            },
        )
    return sorted({step.domain for step, _ in lost})


STALLED = "stalled"


def fail_stalled(run: AnalysisRun, lost: list[tuple[RunStep, str]]) -> bool:
    now = timezone.now()
    with transaction.atomic():
        changed = move_run(
            run.pk, "fail_stalled", fields={"error": STALLED, "completed_at": now},
            severity=EventSeverity.ERROR,
            data={"reason": STALLED, "auto_requeues": run.auto_requeue_count,
                  "lost_steps": {f"{s.domain}/{s.kind}": reason for s, reason in lost}},
        )
        if changed:
            move_steps(RunStep.objects.filter(pk__in=[s.pk for s, _ in lost]), "fail_stalled",
                       fields={"error": STALLED, "finished_at": now})
    return changed


def counts_by_domain(run: AnalysisRun) -> dict[str, dict[str, int]]:
    """Facts, open gaps and findings per domain of the run: stored on the run by finish_run (`run.counts`)."""
    from ..models import Fact, Finding, Gap

    counts: dict[str, dict[str, int]] = {d: {"facts": 0, "gaps": 0, "findings": 0} for d in run.domains}
    # A gap this run answered (a document added later closes it) is no longer open.
    for queryset, label in ((Fact.objects, "facts"), (Gap.objects.unanswered(), "gaps"), (Finding.objects, "findings")):
        for row in queryset.for_run(run).values("domain").annotate(n=Count("id")):
            counts.setdefault(row["domain"], {"facts": 0, "gaps": 0, "findings": 0})[label] = row["n"]
    return counts


def _reason_over_deal(run: AnalysisRun, failed: list[RunStep]) -> tuple[dict[str, int], str]:
    """The deal-level layer over every finished domain's facts; a rule bug becomes the run's error."""
    from .deal_reasoning import reason_over_deal

    if not settings.DEALIQ_DEAL_REASONING:
        return {}, ""
    done_domains = [d for d in run.domains if d not in {s.domain for s in failed}]
    try:
        with transaction.atomic():  # a savepoint: a failure leaves none of its rows behind
            return reason_over_deal(run, done_domains), ""
    except Exception as exc:  # a rule bug must not leave the run hanging: fail it readably
        logger.exception("deal-level reasoning failed for run %s", run.pk)
        return {}, f"deal-level reasoning: {type(exc).__name__}: {exc}"


def finish_run(run_id: int) -> str:
    """Finalize: running → completed (every step done) or failed (some step failed), exactly once.

    The deal-level reasoning layer needs every domain's facts, so it runs here, after the fan-in; then the
    gaps this run answers are recorded. The run row is locked for this one transaction only (finalize
    runs once per run; step saves never hold it)."""
    from audit.services import truncate_error

    from .gap_answers import record_answered_gaps
    from .search import index_run_facts

    refresh_progress(run_id)
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return f"skipped: run is {run.status}"
        if not all_domains_finished(run):
            return "skipped: domains still running"
        failed = list(RunStep.objects.filter(run=run, status=StepStatus.FAILED).order_by("domain", "id"))
        deal_counts, layer_error = _reason_over_deal(run, failed)
        error = "; ".join(filter(None, [*(f"{s.domain}/{s.kind}: {s.error}" for s in failed), layer_error]))
        answered = record_answered_gaps(run)
        index_run_facts(run_id)  # full-text search vectors, once for the run (not in every step's save)
        counts = counts_by_domain(run)
        fields = {
            "counts": counts,
            "fact_count": sum(c["facts"] for c in counts.values()),
            "gap_count": sum(c["gaps"] for c in counts.values()),
            "finding_count": sum(c["findings"] for c in counts.values()),
            "completed_at": timezone.now(),
        }
        if error:
            fields["error"] = truncate_error(error)
        else:
            fields.update(progress=100, error="")
        data = {"facts": fields["fact_count"], "gaps": fields["gap_count"], "findings": fields["finding_count"],
                "gaps_answered": answered, "deal_findings": deal_counts.get("findings", 0),
                "error": fields.get("error", "")}
        name = "fail" if error else "complete"
        if not move_run(run_id, name, fields=fields, data=data,
                        severity=EventSeverity.ERROR if error else EventSeverity.INFO):
            return "skipped: finished meanwhile"
    return RUN_TRANSITIONS[name].target

