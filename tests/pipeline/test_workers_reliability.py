"""Reliability on the real stack: worker subprocesses on Redis + PostgreSQL, the fake provider counting
calls where they arrive."""
from __future__ import annotations

import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Count
from django.urls import reverse

from analysis.models import (
    FINISHED_RUN_STATUSES,
    AnalysisBatch,
    AnalysisRun,
    BatchStatus,
    Fact,
    Finding,
    Gap,
    RunStatus,
    RunStep,
    StepStatus,
)
from audit.models import AuditEvent
from tests.factories import make_small_deal
from workers.pipeline import cancel_run, requeue_run, start_batch, start_run
from workers.watchdog import check_stalled_runs

from ..support.fake_provider import max_in_any_window
from ..support.worker import RealStack, require_real_stack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.serial, pytest.mark.slow]

FAST_RETRIES = {"DEALIQ_RETRY_BACKOFF_BASE": "0.2", "DEALIQ_RETRY_BACKOFF_CAP": "1"}


def wait_until(predicate, timeout: float, what: str, every: float = 0.2, tick=None, stack=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return
        time.sleep(every)
    logs = "\n".join(w.log_tail(80) for w in stack.workers) if stack else ""
    steps = list(RunStep.objects.exclude(status=StepStatus.DONE).values_list("run_id", "domain", "kind", "status", "attempts", "error"))
    logs += f"\nunsettled steps: {steps}"
    if stack:  # the workers' logs outlive the stack's own temporary folder, for whoever reads the failure
        import shutil
        import tempfile

        kept = Path(tempfile.gettempdir()) / "dealiq-reliability-last-failure"
        shutil.copytree(stack.tmp, kept, dirs_exist_ok=True)
        logs += f"\nworker logs kept in {kept}"
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


def finished(run: AnalysisRun) -> bool:
    run.refresh_from_db()
    return run.status in FINISHED_RUN_STATUSES


def step_done_events(run) -> Counter:
    events = AuditEvent.objects.for_run(run).filter(event_type="step.done")
    return Counter(events.values_list("object_id", flat=True))


def test_two_workers_sharing_a_rate_limit_never_exceed_it_in_any_period(provider):
    require_real_stack()
    name = f"fake-{uuid.uuid4().hex[:8]}"
    limit, period = 3, 2.0
    env = {
        "DEALIQ_FAKE_PROVIDER_NAME": name,
        "DEALIQ_RATE_LIMITS": f"{name}={limit}/0",
        "DEALIQ_RATE_LIMIT_PERIOD_SECONDS": str(period),
    }
    deals = [make_small_deal(f"Limited {i}") for i in range(2)]
    with RealStack(extra_env=env) as stack:
        workers = [stack.start_worker(concurrency=2), stack.start_worker(concurrency=2)]
        runs = [start_run(d, engine="fake", domains=["applications", "network"]) for d in deals]
        wait_until(lambda: all(finished(r) for r in runs), 120, "the rate-limited runs", stack=stack)
        logs = "\n".join(w.log_tail(400) for w in workers)

    assert all(r.status == RunStatus.COMPLETED for r in runs), [r.error for r in runs]
    assert len(provider.successful_keys()) == 12 == len(set(provider.successful_keys()))
    assert max_in_any_window(provider.arrivals(), period) <= limit
    assert "step throttled" in logs  # the limit was reached and waited out, not blocked
    assert {s.worker.split("-")[0] for s in RunStep.objects.filter(run__in=runs)} == {"w0", "w1"}


def test_cancel_during_a_run_persists_nothing_after_it_and_requeue_completes(provider):
    require_real_stack()
    deal = make_small_deal("Cancel Co")
    provider.add_rule(action="slow", seconds=1.0)
    with RealStack(extra_env=FAST_RETRIES) as stack:
        stack.start_worker(concurrency=2)
        run = start_run(deal, engine="fake", domains=["applications", "network", "cybersecurity"])
        wait_until(lambda: RunStep.objects.filter(run=run, status=StepStatus.DONE).exists(), 60, "a first step")
        assert cancel_run(run).changed
        cancelled_at = AuditEvent.objects.for_run(run).get(event_type="run.cancelled").at
        rows_at_cancel = Fact.objects.for_run(run).count()
        wait_until(provider.idle, 30, "in-flight calls to return")
        time.sleep(1.5)  # give a stale step the chance to (wrongly) persist after its call returned

        run.refresh_from_db()
        assert run.status == RunStatus.CANCELLED
        late = AuditEvent.objects.for_run(run).filter(at__gt=cancelled_at, event_type__in=["step.done", "step.claimed"])
        assert not late.exists(), list(late.values_list("event_type", "data"))
        assert Fact.objects.for_run(run).count() == rows_at_cancel
        assert not RunStep.objects.filter(run=run, status=StepStatus.RUNNING).exists()
        done_before = set(RunStep.objects.filter(run=run, status=StepStatus.DONE).values_list("pk", flat=True))
        assert 0 < len(done_before) < 9

        provider.clear_rules()
        assert requeue_run(run).changed
        wait_until(lambda: finished(run), 60, "the re-queued run")

    assert run.status == RunStatus.COMPLETED, run.error
    assert set(RunStep.objects.filter(run=run).values_list("status", flat=True)) == {StepStatus.DONE}
    assert all(n == 1 for n in step_done_events(run).values()) and len(step_done_events(run)) == 9
    assert (Fact.objects.for_run(run).count(), Finding.objects.for_run(run).count()) == (6, 3)


@pytest.mark.slow
def test_sigkill_inside_the_engine_then_a_new_worker_completes_the_run_without_duplicates(provider, settings):
    require_real_stack()
    settings.DEALIQ_HEARTBEAT_STALE_SECONDS = 3
    settings.DEALIQ_MAX_AUTO_REQUEUES = 5
    env = {**FAST_RETRIES, "DEALIQ_HEARTBEAT_STALE_SECONDS": "3"}
    deal = make_small_deal("Killed Co")
    slow_key = "Killed Co|applications|target|0"
    provider.add_rule(action="slow", key=slow_key, seconds=20, times=1)
    with RealStack(extra_env=env) as stack:
        doomed = stack.start_worker(concurrency=2)
        run = start_run(deal, engine="fake", domains=["applications", "network"])
        wait_until(lambda: slow_key in provider.keys_received(), 30, "the step to be inside the engine")
        doomed.kill()  # SIGKILL the whole worker: main process and its children
        stack.start_worker(concurrency=2)
        # The watchdog is a beat task; drive it directly instead of waiting for beat.
        wait_until(lambda: finished(run), 90, "the run after the kill", every=0.5, tick=check_stalled_runs)

    assert run.status == RunStatus.COMPLETED, run.error
    assert run.auto_requeue_count >= 1
    done = step_done_events(run)
    assert len(done) == 6 and all(n == 1 for n in done.values()), done  # each step's rows written once
    assert (Fact.objects.for_run(run).count(), Gap.objects.for_run(run).count(), Finding.objects.for_run(run).count()) == (4, 4, 2)
    killed = RunStep.objects.get(run=run, domain="applications", kind="discover_target")
    assert killed.attempts >= 2 and killed.facts_written == 1


@pytest.mark.slow
def test_a_batch_of_50_deals_on_two_workers_completes_and_the_page_matches_the_database(provider, client, make_user):
    require_real_stack()
    deals = [make_small_deal(f"Fleet {i:02d}") for i in range(50)]
    with RealStack(extra_env=FAST_RETRIES) as stack:
        stack.start_worker(concurrency=2)
        stack.start_worker(concurrency=2)
        started = start_batch(deals, name="fleet", priority="high", engine="fake", domains=["applications"])
        batch = started.batch

        def batch_finished():
            batch.refresh_from_db()
            return batch.status != BatchStatus.RUNNING

        wait_until(batch_finished, 300, "the batch", every=1.0)

    assert len(started.runs) == 50
    assert batch.status == BatchStatus.COMPLETED
    by_status = dict(AnalysisRun.objects.filter(batch=batch).values_list("status").annotate(n=Count("id")))
    assert by_status == {RunStatus.COMPLETED: 50}
    client.force_login(make_user("ops", is_superuser=True, is_staff=True))
    page = client.get(reverse("analysis:batch", args=[batch.pk]))
    progress = page.context["progress"]
    assert (progress.total, progress.done, progress.failed, progress.running, progress.queued) == (50, 50, 0, 0, 0)
    assert batch.counts["completed"] == 50 and batch.counts["total"] == 50
    html = page.content.decode()
    assert 'id="count-done">50<' in html and 'id="count-failed">0<' in html
    assert Fact.objects.filter(run__batch=batch).count() == 100
    assert Fact.objects.filter(run__batch=batch).values("run", "key").distinct().count() == 100
    assert AnalysisBatch.objects.get(pk=batch.pk).finished_at is not None
