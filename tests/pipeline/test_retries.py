"""Transient errors retry with growing, jittered backoff; permanent ones fail one domain; re-queue resumes."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from analysis.models import EngineCall, Fact, Finding, Gap, RunStatus, RunStep, StepKind, StepStatus
from audit.models import AuditEvent
from tests.factories import make_small_deal
from workers.pipeline import requeue_run, start_run
from workers.retry import backoff

pytestmark = pytest.mark.django_db(transaction=True)

TWO_DOMAINS = ["applications", "network"]


def retry_events(run):
    return list(AuditEvent.objects.for_run(run).filter(event_type="step.retry_scheduled").order_by("at", "id"))


def test_transient_twice_then_success_retries_with_growing_jittered_backoff(provider, settings):
    settings.DEALIQ_RETRY_BACKOFF_BASE = 0.1
    deal = make_small_deal("Retry Co")
    provider.add_rule(action="transient", domain="applications", entity="target", times=2)

    run = start_run(deal, engine="fake", domains=["applications"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    step = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_TARGET)
    assert (step.status, step.attempts, step.retries) == (StepStatus.DONE, 3, 2)
    scheduled = [e.data for e in retry_events(run)]
    assert [d["attempt"] for d in scheduled] == [1, 2]
    windows = [d["window"] for d in scheduled]
    countdowns = [d["countdown"] for d in scheduled]
    assert windows == [0.1, 0.2]  # exponential
    assert all(0 <= c <= w for c, w in zip(countdowns, windows))
    assert all(c not in (0, w) for c, w in zip(countdowns, windows)), countdowns  # jittered, not the bare window
    assert Counter(c.key for c in provider.calls)["Retry Co|applications|target|0"] == 3
    assert EngineCall.objects.filter(step=step).count() == 1  # only the successful call is billed


def test_backoff_is_capped_full_jitter_and_honours_retry_after():
    rng = random.Random(6)
    samples = {n: [backoff(n, base=2, cap=30, rng=rng).delay for _ in range(400)] for n in range(6)}
    for n, delays in samples.items():
        window = min(30, 2 * 2**n)
        assert all(0 <= d <= window for d in delays)
        assert len(set(delays)) > 300  # jittered
    means = [sum(d) / len(d) for d in samples.values()]
    assert means[0] < means[1] < means[2] < means[3] < means[4]  # grows until the cap
    assert max(samples[5]) <= 30
    assert backoff(0, base=2, cap=30, retry_after=45, rng=rng).delay == 45


def test_transient_errors_past_the_attempt_cap_fail_the_step_readably(provider, settings, fast_backoff):
    settings.DEALIQ_STEP_MAX_ATTEMPTS = 3
    # The fake's transient error is a rate limit: past its (here empty) wait budget it spends attempts.
    settings.DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS = 0
    deal = make_small_deal("Flaky Co")
    provider.add_rule(action="transient", domain="network", entity="buyer")

    run = start_run(deal, engine="fake", domains=TWO_DOMAINS)
    run.refresh_from_db()

    assert run.status == RunStatus.FAILED
    failed = RunStep.objects.get(run=run, domain="network", kind=StepKind.DISCOVER_BUYER)
    assert failed.status == StepStatus.FAILED and failed.attempts == 3
    assert failed.error.startswith("gave up after 3 attempts; last error rate_limited")
    assert "network/discover_buyer" in run.error
    assert set(RunStep.objects.filter(run=run, domain="applications").values_list("status", flat=True)) == {"done"}
    assert RunStep.objects.get(run=run, domain="network", kind=StepKind.REASON).status == StepStatus.PENDING


def test_permanent_failure_fails_one_domain_and_requeue_finishes_without_repeating_done_steps(provider):
    deal = make_small_deal("Broken Co")
    provider.add_rule(action="permanent", domain="network", entity="target")

    run = start_run(deal, engine="fake", domains=TWO_DOMAINS)
    run.refresh_from_db()

    assert run.status == RunStatus.FAILED
    assert "network/discover_target: bad_request: fake provider: HTTP 400 bad request" in run.error
    assert set(RunStep.objects.filter(run=run, domain="applications").values_list("status", flat=True)) == {"done"}
    assert Finding.objects.for_run(run).filter(domain="applications").count() == 1
    assert not Fact.objects.for_run(run).filter(domain="network", entity="target").exists()
    calls_before = Counter(c.key for c in provider.calls)
    assert calls_before["Broken Co|network|target|0"] == 1  # permanent: no retry

    provider.clear_rules()  # "fix" the engine
    result = requeue_run(run, actor=None)
    run.refresh_from_db()

    assert result.changed and run.status == RunStatus.COMPLETED, run.error
    calls = Counter(c.key for c in provider.calls)
    for key in ("Broken Co|applications|target|0", "Broken Co|applications|buyer|0", "Broken Co|applications|reason"):
        assert calls[key] == 1, f"{key} ran again after re-queue"
    assert calls["Broken Co|network|target|0"] == 2
    assert Counter(provider.successful_keys()).most_common(1)[0][1] == 1  # every call succeeded once
    assert Fact.objects.for_run(run).count() == 4 and Gap.objects.for_run(run).count() == 4
    assert Finding.objects.for_run(run).count() == 2
    assert set(RunStep.objects.filter(run=run).values_list("status", flat=True)) == {"done"}
    assert run.progress == 100 and run.steps_done == 6


def test_a_long_error_is_truncated_on_the_step_and_kept_whole_in_the_audit(provider, settings, monkeypatch):
    settings.DEALIQ_ERROR_MAX_CHARS = 60
    from tests.support import fake_engine

    def explode(self, request):
        raise ValueError("x" * 500)

    monkeypatch.setattr(fake_engine.FakeEngine, "reason", explode)
    run = start_run(make_small_deal("Verbose Co"), engine="fake", domains=["applications"])
    step = RunStep.objects.get(run=run, kind=StepKind.REASON)
    assert step.status == StepStatus.FAILED and len(step.error) <= 60 and "more chars" in step.error
    event = AuditEvent.objects.for_run(run).get(event_type="step.failed")
    assert "x" * 500 in event.data["error"] and "Traceback" in event.data["error"]


def test_a_retried_step_does_not_repeat_model_calls_whose_results_were_saved(provider, fast_backoff):
    pages = {"target": ["Page one: SAP ECC.", "Page two: Oracle 11g.", "Page three: Citrix."], "buyer": ["Buyer M365."]}
    deal = make_small_deal("Batches Co", pages=pages)
    provider.add_rule(action="transient", key="Batches Co|applications|target|1", times=1)

    run = start_run(deal, engine="fake", domains=["applications"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    calls = Counter(c.key for c in provider.calls)
    assert calls["Batches Co|applications|target|0"] == 1  # saved before the failure: not asked again
    assert calls["Batches Co|applications|target|1"] == 2
    assert calls["Batches Co|applications|target|2"] == 1
    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert step.attempts == 2 and step.calls == 3 and step.facts_written == 3
    assert EngineCall.objects.filter(step=step).count() == 3
    run.refresh_from_db()
    assert run.calls == 5


def test_step_tasks_leave_the_attempt_cap_to_the_step_row():
    # Celery's default (3 retries) would end a step waiting out a rate limit for the fourth time.
    from workers.tasks import TASK_FOR_KIND

    assert all(task.max_retries is None for task in TASK_FOR_KIND.values())


def test_a_step_the_rate_limit_stops_between_two_calls_waits_without_an_attempt_and_keeps_its_first_batch(
    provider, settings, monkeypatch
):
    # The grant is taken right before each call: the step's second page finds the window full, the step
    # is released for the wait (no attempt spent), and its retry sends only the page not yet analysed.
    name = f"limited-{random.randrange(10**8)}"
    monkeypatch.setenv("DEALIQ_FAKE_PROVIDER_NAME", name)
    settings.DEALIQ_RATE_LIMIT_REDIS_URL = None
    settings.DEALIQ_RATE_LIMITS = {name: {"requests": 1, "tokens": 0}}
    settings.DEALIQ_RATE_LIMIT_PERIOD_SECONDS = 0.3
    settings.DEALIQ_RATE_LIMIT_MAX_SLEEP_SECONDS = 0  # never sleep in the worker: always release
    deal = make_small_deal("Paced Co", pages={
        "target": ["Our ERP is SAP ECC 6.0 on premises.", "The WAN is MPLS from a single carrier."],
        "buyer": ["The buyer runs S/4HANA in the cloud."],
    })

    run = start_run(deal, engine="fake", domains=["network"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    keys = Counter(c.key for c in provider.calls)
    assert keys == {f"Paced Co|network|{key}": 1 for key in ("target|0", "target|1", "buyer|0", "reason")}
    target = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert target.rate_limit_waits >= 1 and target.attempts - target.attempt_floor == 1
    throttled = [e.data for e in retry_events(run) if e.data["error"].startswith("throttled")]
    assert throttled and not any(d["attempt_spent"] for d in throttled)
    assert EngineCall.objects.filter(step=target).count() == 2
