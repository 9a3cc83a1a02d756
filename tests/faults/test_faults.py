"""The fault suite: the real stack (PostgreSQL, Redis, `celery worker`, beat) attacked while it works.

Every test compares the attacked runs with an undisturbed run of the same documents: same status,
same per-domain counts, same rows, no duplicate keys, every step done exactly once. The counts the
suite saw are printed at the end of the session (conftest.py) and listed in docs/reliability.md.
"""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest
from celery import signature
from django.db import transaction

from analysis.models import FINISHED_RUN_STATUSES, AnalysisRun, RunStep, StepKind
from workers.watchdog import check_stalled_runs

from ..support.services import TEST_BROKER_URL
from ..support.worker import ROOT, require_real_stack
from .harness import PG_BIN, TALLY, FaultStack, ThrowawayPostgres, ThrowawayRedis, wait_for
from .outcome import compare, run_outcome, start_runs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.faults, pytest.mark.slow]

DOMAINS = ["applications", "network"]


def all_finished(run_ids) -> bool:
    return AnalysisRun.objects.filter(pk__in=run_ids).exclude(status__in=FINISHED_RUN_STATUSES).count() == 0


def unfinished(run_ids) -> str:
    rows = RunStep.objects.filter(run_id__in=run_ids).exclude(status="done").values_list(
        "run_id", "domain", "kind", "status", "attempts", "held_by", "heartbeat_at", "dispatched_at", "error")
    return "\n".join(map(str, rows[:40]))


def tally(outcomes: list[dict], baseline: dict, *, killed: int = 0) -> list[str]:
    problems = []
    for outcome in outcomes:
        found = compare(outcome, baseline)
        problems += found
        TALLY["runs"] += 1
        TALLY["runs_lost"] += outcome["status"] != "completed"
        TALLY["count_mismatches"] += outcome["counts"] != baseline["counts"] or outcome["rows"] != baseline["rows"]
        TALLY["duplicate_rows"] += outcome["duplicates"]
    TALLY["runs_killed"] += killed
    return problems


def start_with_plan(stack: FaultStack, faults: list[str], prefix: str, domains=DOMAINS) -> list[int]:
    """Start the runs and write their faults before any message goes out (dispatch is on commit)."""
    with transaction.atomic():
        run_ids = start_runs(len(faults), list(domains), prefix=prefix)
        stack.plan({run_id: fault for run_id, fault in zip(run_ids, faults) if fault})
    return run_ids


def undisturbed(stack: FaultStack, prefix: str, domains=DOMAINS) -> dict:
    [run_id] = start_runs(1, list(domains), prefix=prefix)
    wait_for(lambda: all_finished([run_id]), 120, "the undisturbed run", on_timeout=stack.logs)
    baseline = run_outcome(run_id)
    assert baseline["status"] == "completed" and baseline["rows"]["facts"] > 0, baseline
    return baseline


def test_sigkilled_workers_lose_nothing_and_recover_within_a_minute():
    """Ten runs, each with its worker SIGKILLed once (the whole worker: main process and children) inside
    the engine, inside the save transaction before commit, or during finalize — at the default liveness
    settings. A supervisor starts a replacement worker, as a process manager would.

    Recovery of a killed run: from the kill until the work the dead worker had in hand is done again (the
    killed step settled; for finalize, the run completed). The run's later steps then queue behind the
    other runs' work like any step, which is load, not recovery."""
    require_real_stack()
    faults = ["engine"] * 4 + ["before_commit"] * 3 + ["finalize"] * 3
    with FaultStack(broker_url=TEST_BROKER_URL) as stack:
        stack.start_worker()
        stack.start_worker()
        stack.start_beat()
        baseline = undisturbed(stack, "Undisturbed", DOMAINS[:1])
        stack.keep_workers_alive(2)
        run_ids = start_with_plan(stack, faults, "Killed", DOMAINS[:1])
        wait_for(lambda: all_finished(run_ids), 400, "the killed runs",
                 on_timeout=lambda: unfinished(run_ids) + "\n" + stack.logs())
        outcomes = [run_outcome(run_id) for run_id in run_ids]
        fired = {run_id: stack.fired(run_id) for run_id in run_ids}
    assert all(fired.values()), f"faults that never fired: {[r for r, t in fired.items() if not t]}"
    problems = tally(outcomes, baseline, killed=len(run_ids))
    assert problems == []
    recovery = []
    for outcome in outcomes:
        killed_at, _, domain, kind = fired[outcome["id"]]
        if kind == "finalize":
            recovered_at = outcome["completed_at"]
        else:
            recovered_at = RunStep.objects.get(run_id=outcome["id"], domain=domain, kind=kind).finished_at.timestamp()
        recovery.append(recovered_at - killed_at)
    TALLY["recovery_seconds"] += recovery
    print(f"recovery after SIGKILL: {sorted(round(r, 1) for r in recovery)}")
    assert statistics.median(recovery) < 60


def test_two_workers_delivering_the_same_step_write_it_once():
    require_real_stack()
    with FaultStack(broker_url=TEST_BROKER_URL) as stack:
        stack.start_worker()
        stack.start_worker()
        baseline = undisturbed(stack, "Single delivery")
        run_ids = start_with_plan(stack, ["slow"], "Duplicated")
        # Six more copies of the first step while it runs (3 s in the engine): both workers get some.
        for _ in range(6):
            signature("dealiq.discover_target", args=(run_ids[0], DOMAINS[0])).apply_async()
        TALLY["duplicate_deliveries"] += 6
        wait_for(lambda: all_finished(run_ids), 120, "the duplicated run",
                 on_timeout=lambda: unfinished(run_ids) + "\n" + stack.logs())
        outcome = run_outcome(run_ids[0])
    assert tally([outcome], baseline) == []
    step = RunStep.objects.get(run_id=run_ids[0], domain=DOMAINS[0], kind=StepKind.DISCOVER_TARGET)
    assert step.attempts == 1, "a duplicate delivery spent an attempt"


def test_a_hundred_runs_queued_on_two_workers_are_never_taken_for_stalled(settings):
    """Short thresholds (3 s stale, watchdog every second): runs waiting their turn in a long queue are
    neither re-queued nor failed; only a dead worker or a lost message would be."""
    require_real_stack()
    short = {"DEALIQ_HEARTBEAT_STALE_SECONDS": "3", "DEALIQ_HEARTBEAT_INTERVAL_SECONDS": "0.5"}
    settings.DEALIQ_HEARTBEAT_STALE_SECONDS = 3
    settings.DEALIQ_HEARTBEAT_INTERVAL_SECONDS = 0.5
    with FaultStack(broker_url=TEST_BROKER_URL, env=short) as stack:
        stack.start_worker()
        stack.start_worker()
        with transaction.atomic():
            run_ids = [start_runs(1, DOMAINS[:1], prefix=f"Queued {i}")[0] for i in range(100)]
        acted = {"requeued": set(), "failed": set()}

        def watch_and_check():
            report = check_stalled_runs()  # the watchdog itself, every second, at the short thresholds
            acted["requeued"].update(report["requeued"])
            acted["failed"].update(report["failed"])
            return all_finished(run_ids)

        wait_for(watch_and_check, 400, "the hundred queued runs", every=1.0,
                 on_timeout=lambda: unfinished(run_ids) + "\n" + stack.logs())
    runs = AnalysisRun.objects.filter(pk__in=run_ids)
    falsely_stalled = {r.pk for r in runs if r.status != "completed" or r.auto_requeue_count} | acted["failed"]
    falsely_stalled |= acted["requeued"]
    TALLY["runs"] += len(run_ids)
    TALLY["falsely_stalled"] += len(falsely_stalled)
    assert falsely_stalled == set(), f"taken for stalled with no worker dead: {sorted(falsely_stalled)}"


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def test_a_frozen_worker_holding_a_save_stalls_nobody():
    """A worker SIGSTOPped inside a step's save transaction: another run completes meanwhile, and the
    frozen run completes too once the server ends the idle transaction and the watchdog re-sends it."""
    require_real_stack()
    env = {
        "DEALIQ_HEARTBEAT_STALE_SECONDS": "3", "DEALIQ_HEARTBEAT_INTERVAL_SECONDS": "0.5",
        "DEALIQ_WATCHDOG_INTERVAL": "1", "DEALIQ_STEP_IDLE_TIMEOUT_MS": "5000",
    }
    with FaultStack(broker_url=TEST_BROKER_URL, env=env) as stack:
        stack.start_worker(concurrency=1)
        stack.start_worker(concurrency=1)
        stack.start_beat()
        baseline = undisturbed(stack, "Not frozen")
        [frozen] = start_with_plan(stack, ["stop_in_save"], "Frozen")
        wait_for(lambda: stack.fired_at(frozen), 60, "the worker to freeze in its save", on_timeout=stack.logs)
        stopped_pid = int((next(stack.fault_dir.glob(f"fired-{frozen}-*"))).read_text().split()[1])
        assert process_state(stopped_pid) == "T"
        [other] = start_runs(1, DOMAINS, prefix="Unrelated")
        wait_for(lambda: all_finished([other]), 90, "the unrelated run",
                 on_timeout=lambda: unfinished([other]) + "\n" + stack.logs())
        assert process_state(stopped_pid) == "T", "the frozen worker must still be frozen"
        wait_for(lambda: all_finished([frozen]), 120, "the frozen run's recovery",
                 on_timeout=lambda: unfinished([frozen]) + "\n" + stack.logs())
        os.kill(stopped_pid, signal.SIGCONT)
        outcomes = [run_outcome(other), run_outcome(frozen)]
    assert tally(outcomes, baseline) == []


def driver(env: dict, *args: str) -> object:
    proc = subprocess.run([sys.executable, "-m", "tests.faults.driver", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_redis_and_postgresql_restarted_mid_run():
    """A throwaway Redis and a throwaway PostgreSQL, each restarted twice while four runs work."""
    require_real_stack()
    if PG_BIN is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql")
    redis, pg = ThrowawayRedis().start(), ThrowawayPostgres().start()
    env = {
        "DEALIQ_HEARTBEAT_STALE_SECONDS": "5", "DEALIQ_HEARTBEAT_INTERVAL_SECONDS": "1",
        "DEALIQ_WATCHDOG_INTERVAL": "2", "DEALIQ_FAULT_ENGINE_SECONDS": "0.5",
        "DEALIQ_RETRY_BACKOFF_BASE": "0.5", "DEALIQ_RETRY_BACKOFF_CAP": "3",
    }
    try:
        with FaultStack(broker_url=redis.url, db_url=pg.url, env=env) as stack:
            denv = {**stack.env}
            driver(denv, "migrate")
            stack.start_worker()
            stack.start_worker()
            stack.start_beat()
            [baseline] = driver(denv, "report", *map(str, driver(denv, "start", "1", ",".join(DOMAINS), "Calm")))
            deadline = time.monotonic() + 120
            while (baseline := driver(denv, "report", str(baseline["id"]))[0])["status"] not in FINISHED_RUN_STATUSES:
                assert time.monotonic() < deadline, stack.logs()
                time.sleep(2)
            run_ids = driver(denv, "start", "4", ",".join(DOMAINS), "Restarted")
            for restart in (redis.restart, pg.restart, redis.restart, pg.restart):
                time.sleep(2)
                restart()
                TALLY["restarts"] += 1
            deadline = time.monotonic() + 300
            while True:
                outcomes = driver(denv, "report", *map(str, run_ids))
                if all(o["status"] in FINISHED_RUN_STATUSES for o in outcomes):
                    break
                assert time.monotonic() < deadline, f"{[o['status'] for o in outcomes]}\n{stack.logs()}"
                time.sleep(3)
            # No supervisor restarts workers here: a broker restart must not kill one (kombu's
            # detached-client crash, guarded in workers/broker_reconnect.py).
            dead = [w.name for w in stack.workers if w.proc is None or w.proc.poll() is not None]
            assert dead == [], f"workers exited during the restarts: {dead}\n{stack.logs()}"
    finally:
        pg.stop()
        redis.stop()
    assert tally(outcomes, baseline) == []
