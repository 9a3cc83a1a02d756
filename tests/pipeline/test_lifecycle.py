"""The lifecycle module: declared transitions, liveness (waiting vs lost), duplicate claims that back off,
claims that do not wait for another step's open save, and `requeue_runs --stalled`."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from analysis.models import AnalysisRun, RunStatus, RunStep, StepKind, StepStatus
from analysis.services import lifecycle
from analysis.services.runs import create_run
from analysis.services.steps import SkipReason, claim_step
from tests.factories import make_small_deal
from workers.pipeline import requeue_run
from workers.watchdog import check_stalled_runs

from ..support.services import service_missing

pytestmark = pytest.mark.django_db(transaction=True)
T, B, REASON = StepKind.DISCOVER_TARGET, StepKind.DISCOVER_BUYER, StepKind.REASON


def new_run(name="Lifecycle Co", domains=("applications", "network")):
    return create_run(make_small_deal(name), engine="offline", domains=list(domains))


def step(run, domain, kind) -> RunStep:
    return RunStep.objects.get(run=run, domain=domain, kind=kind)


def ago(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def test_every_transition_is_declared_with_sources_a_target_and_a_guard():
    for table in (lifecycle.RUN_TRANSITIONS, lifecycle.STEP_TRANSITIONS):
        for name, t in table.items():
            assert t.name == name and t.sources and t.target and t.guard
    assert lifecycle.move_run(new_run().pk, "complete") is True
    with pytest.raises(KeyError):
        lifecycle.move_run(1, "teleport")


def test_a_transition_from_a_wrong_state_changes_nothing():
    run = new_run()
    assert lifecycle.move_run(run.pk, "requeue") is False  # queued is not a source of requeue
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


def test_a_duplicate_of_a_step_whose_owner_is_alive_backs_off_without_spending_an_attempt(settings):
    run = new_run()
    first = claim_step(run.pk, "applications", T, worker="w1@host")
    assert first.claim is not None and first.claim.attempt == 1
    for _ in range(6):  # six copies of one step: none claims, none counts
        dup = claim_step(run.pk, "applications", T, worker="w2@host")
        assert dup.claim is None and dup.skip_reason == SkipReason.BUSY
    s = step(run, "applications", T)
    assert s.attempts == 1 and s.status == StepStatus.RUNNING and s.worker == "w1@host"
    # The owner stops heartbeating: now a copy takes over (that is a real loss: one attempt).
    RunStep.objects.filter(pk=s.pk).update(heartbeat_at=ago(settings.DEALIQ_HEARTBEAT_STALE_SECONDS + 1))
    takeover = claim_step(run.pk, "applications", T, worker="w2@host")
    assert takeover.claim is not None and takeover.claim.attempt == 2


def test_a_claim_does_not_wait_for_another_steps_open_save():
    """A save holds its own step row only: another step of the same run claims at once."""
    if connection.vendor != "postgresql":
        service_missing("row locks need PostgreSQL (set DATABASE_URL=postgres://…)")
    run = new_run()
    saving = step(run, "applications", T)
    locked, release = threading.Event(), threading.Event()

    def hold_a_save_open():
        try:
            with transaction.atomic():
                RunStep.objects.select_for_update().get(pk=saving.pk)
                AnalysisRun.objects.get(pk=run.pk)  # a save reads the run, never locks it
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a_save_open)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait would fail, not hang
        other = claim_step(run.pk, "network", T, worker="w2@host")
        assert other.claim is not None
        # The held step itself: a second copy skips it (SKIP LOCKED) instead of queueing behind the save.
        assert claim_step(run.pk, "applications", T, worker="w3@host").skip_reason == SkipReason.BUSY
    finally:
        release.set()
        holder.join(10)


def test_the_watchdog_leaves_steps_waiting_in_a_long_queue_alone(settings):
    settings.DEALIQ_HEARTBEAT_STALE_SECONDS = 1
    run = new_run()
    # Sent long ago (but within the visibility window), never received: it waits its turn.
    RunStep.objects.filter(run=run, kind=T).update(dispatched_at=ago(590))
    AnalysisRun.objects.filter(pk=run.pk).update(created_at=ago(600), heartbeat_at=ago(600))
    report = check_stalled_runs()
    assert run.pk not in report["requeued"] + report["failed"]
    assert RunStep.objects.filter(run=run, error__startswith="re-queued").count() == 0


def test_the_watchdog_finds_every_kind_of_loss(settings):
    settings.DEALIQ_HEARTBEAT_STALE_SECONDS = 5
    settings.DEALIQ_DISPATCH_LOST_SECONDS = 3600
    run = new_run(domains=("applications", "network", "cybersecurity", "infrastructure"))
    lifecycle.mark_running(run.pk)
    AnalysisRun.objects.filter(pk=run.pk).update(created_at=ago(8000))
    claimed = claim_step(run.pk, "applications", T, worker="dead@host").claim
    RunStep.objects.filter(pk=claimed.step_id).update(heartbeat_at=ago(60))  # claimed, worker died
    RunStep.objects.filter(run=run, domain="network", kind=T).update(
        held_by="dead@host", heartbeat_at=ago(60), dispatched_at=ago(70))  # prefetched by a dead worker
    RunStep.objects.filter(run=run, domain="cybersecurity", kind=T).update(dispatched_at=ago(7200))  # message gone
    RunStep.objects.filter(run=run, domain="infrastructure", kind=T).update(dispatched_at=ago(30))  # queued: alive
    run.refresh_from_db()
    lost = {s.domain: reason for s, reason in lifecycle.lost_frontier_steps(run)}
    assert set(lost) == {"applications", "network", "cybersecurity"}, lost
    assert "claimed by dead@host" in lost["applications"] and "held by dead@host" in lost["network"]


def test_requeue_stalled_takes_a_running_run_with_no_live_worker_only(settings):
    settings.DEALIQ_HEARTBEAT_STALE_SECONDS = 5
    run = new_run()
    claimed = claim_step(run.pk, "applications", T, worker="w1@host").claim
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    result = requeue_run(run)
    assert not result.changed and "worker is on it" in result.message
    RunStep.objects.filter(pk=claimed.step_id).update(heartbeat_at=ago(60))
    call_command("requeue_runs", "--stalled", "--dry-run")
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    call_command("requeue_runs", "--stalled")
    run.refresh_from_db()
    s = RunStep.objects.get(pk=claimed.step_id)
    # Eager mode: the re-queue dispatched the run and it ran to the end on the offline engine.
    assert run.requeue_count == 1 and s.status == StepStatus.DONE
    assert run.status == RunStatus.COMPLETED
