"""The Claude engine through the real pipeline, against the fake Messages API server."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from analysis.models import (
    AnalysisRun,
    EngineCall,
    Fact,
    FactFindingLink,
    Finding,
    Gap,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from audit.models import AuditEvent
from dealiq.domains import DOMAIN_KEYS
from workers.pipeline import start_run

from ..fakes.fixtures import FAKE_API_KEY, fake_anthropic, real_worker_env  # noqa: F401  (pytest fixture)
from ..support.services import TEST_BROKER_URL
from ..support.worker import RealStack, require_real_stack, wait_for_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def claude_settings(settings, fake_anthropic, tmp_path, monkeypatch):  # noqa: F811
    """DEALIQ_ENGINE=anthropic pointed at the fake server, with a private warm-up gate directory."""
    settings.ANTHROPIC_API_KEY = FAKE_API_KEY
    settings.ANTHROPIC_BASE_URL = fake_anthropic.base_url
    settings.ANTHROPIC_MAX_RETRIES = 0
    settings.ANTHROPIC_TIMEOUT = 30.0
    settings.DEALIQ_ENGINE = "anthropic"
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # FileWarmupGate's markers live in the temp dir
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return settings


def assert_complete_claude_run(run: AnalysisRun, model: str = "claude-sonnet-4-6") -> None:
    assert run.status == RunStatus.COMPLETED, run.error
    assert (run.engine, run.model) == ("anthropic", model)
    steps = RunStep.objects.filter(run=run)
    assert steps.count() == 18 and set(steps.values_list("status", flat=True)) == {StepStatus.DONE}
    assert Fact.objects.for_run(run).exists()
    assert Gap.objects.for_run(run).exists()
    assert Finding.objects.for_run(run).exists()
    assert FactFindingLink.objects.filter(finding__run=run).exists()
    # The fake adds one fabricated quote per discovery call: it must be dropped, and counted.
    assert not Fact.objects.for_run(run).filter(evidence__icontains="quantum mainframe").exists()
    discover = steps.exclude(kind=StepKind.REASON)
    assert all(step.dropped_ungrounded > 0 for step in discover)
    assert run.dropped_ungrounded == sum(s.dropped_ungrounded for s in steps) > 0
    calls = EngineCall.objects.filter(run=run)
    assert calls.count() == run.calls == sum(s.calls for s in steps) > 0
    assert not calls.filter(request_id="").exists()
    assert calls.values("request_id").distinct().count() == calls.count()
    assert set(calls.values_list("model", flat=True)) == {model}
    assert calls.filter(cache_read_input_tokens__gt=0).exists()
    assert calls.filter(cache_creation_input_tokens__gt=0).exists()
    assert run.cost > 0 and all(s.cost > 0 for s in steps if s.calls)
    assert run.input_tokens == sum(c.input_tokens for c in calls)
    assert run.cache_read_input_tokens == sum(c.cache_read_input_tokens for c in calls)


def test_sample_deal_with_claude_engine_eager(sample_deal, claude_settings, fake_anthropic, client, member):  # noqa: F811
    run = start_run(sample_deal)
    run.refresh_from_db()

    assert_complete_claude_run(run)
    # The run page shows each step's cost and cache tokens, and the calls with their request ids.
    client.force_login(member(sample_deal, "viewer"))
    page = client.get(reverse("analysis:run", args=[sample_deal.pk, run.number])).content.decode()
    newest = EngineCall.objects.filter(run=run).first()
    assert 'id="engine-calls"' in page and newest.request_id in page
    step = RunStep.objects.filter(run=run, calls__gt=0).first()
    assert f"{step.cache_creation_input_tokens:,} / {step.cache_read_input_tokens:,}" in page
    for domain in DOMAIN_KEYS:
        assert Fact.objects.for_run(run).for_domain(domain).exists(), domain
    assert len(fake_anthropic.message_requests) == run.calls
    # Per-deal and per-batch sums come from the same rows.
    totals = AnalysisRun.objects.for_deal(sample_deal).usage_totals()
    assert totals["calls"] == run.calls and totals["cost"] == run.cost
    assert AnalysisRun.objects.none().usage_totals()["cost"] == 0


def test_switching_engines_is_one_setting_and_the_run_records_it(sample_deal, claude_settings, settings):
    settings.ANTHROPIC_MODEL = "claude-haiku-4-5"
    claude = start_run(sample_deal)
    claude.refresh_from_db()
    settings.DEALIQ_ENGINE = "offline"
    offline = start_run(sample_deal)
    offline.refresh_from_db()

    assert (claude.status, claude.engine, claude.model) == (RunStatus.COMPLETED, "anthropic", "claude-haiku-4-5")
    assert set(EngineCall.objects.filter(run=claude).values_list("model", flat=True)) == {"claude-haiku-4-5"}
    assert offline.status == RunStatus.COMPLETED and offline.engine == "offline"
    assert not EngineCall.objects.filter(run=offline).exists()
    assert AnalysisRun.objects.for_deal(sample_deal).usage_totals()["calls"] == claude.calls


def test_overloaded_and_rate_limited_calls_retry_then_complete(
    sample_deal, claude_settings, fake_anthropic, fast_backoff  # noqa: F811
):
    is_apps_target = lambda r: r.domain == "applications" and r.entity == "target"  # noqa: E731
    fake_anthropic.fail_next(529, when=is_apps_target)
    fake_anthropic.fail_next(429, headers={"retry-after": "0.2"}, when=is_apps_target)

    run = start_run(sample_deal, domains=["applications"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    step = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_TARGET)
    assert (step.status, step.retries) == (StepStatus.DONE, 2)
    scheduled = list(AuditEvent.objects.for_run(run).filter(event_type="step.retry_scheduled").order_by("at", "id"))
    assert len(scheduled) == 2
    assert scheduled[1].data["retry_after"] == pytest.approx(0.2)
    assert scheduled[1].data["countdown"] >= 0.2  # Retry-After is a floor over the backoff
    assert Fact.objects.for_run(run).filter(domain="applications", entity="target").exists()


def test_bad_api_key_fails_the_step_permanently_with_a_readable_error(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    fake_anthropic.fail_next(401, message="invalid x-api-key", times=50)

    run = start_run(sample_deal, domains=["applications"])
    run.refresh_from_db()

    assert run.status == RunStatus.FAILED
    step = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_TARGET)
    assert step.status == StepStatus.FAILED and step.retries == 0
    assert "401" in step.error and "authentication" in step.error.lower()
    assert "Traceback" not in step.error and "Traceback" not in run.error
    assert len(fake_anthropic.message_requests) == 1  # permanent: not retried


@pytest.mark.worker
@pytest.mark.slow
def test_sample_deal_with_claude_engine_on_a_real_worker(sample_deal, fake_anthropic):  # noqa: F811
    require_real_stack()
    import redis

    client = redis.Redis.from_url(TEST_BROKER_URL)
    with RealStack(extra_env=real_worker_env(fake_anthropic)) as stack:
        worker = stack.start_worker(concurrency=2)
        run = wait_for_run(start_run(sample_deal, engine="anthropic"), timeout=180)
        assert run.status == RunStatus.COMPLETED, f"{run.error}\n{worker.log_tail()}"

    assert_complete_claude_run(run)
    assert all(step.worker.startswith("w0-") for step in RunStep.objects.filter(run=run))
    # The Redis warm-up gate ran in the worker: the cache prefixes it warmed are marked there.
    assert list(client.scan_iter("dealiq:warmup:*:warm"))


def test_a_low_priority_run_discovers_through_message_batches_at_half_price(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    import datetime as dt

    from django.utils import timezone

    from config.celery_app import app
    from workers.message_batches import poll_message_batches
    from workers.tasks import poll_message_batches as poll_task
    from workers.watchdog import check_stalled_runs

    claude_settings.ANTHROPIC_MESSAGE_BATCH_PRIORITIES = ["low"]
    fake_anthropic.hold_batches = True
    run = start_run(sample_deal, priority="low", domains=["applications", "network"])

    # Each domain's first discovery step submitted its calls and parked; the workers are free.
    run.refresh_from_db()
    steps = {(s.domain, s.kind): s for s in RunStep.objects.filter(run=run)}
    waiting = [s for s in steps.values() if s.status == StepStatus.WAITING]
    assert run.status == RunStatus.RUNNING and len(waiting) == 2
    assert all(s.kind == StepKind.DISCOVER_TARGET and s.message_batch_id in fake_anthropic.batches for s in waiting)
    assert fake_anthropic.message_requests == [] and not Fact.objects.for_run(run).exists()
    assert poll_message_batches()["resumed"] == []  # still processing: nothing moves
    # Waiting is not a stall: the watchdog leaves the run alone however old its heartbeat.
    AnalysisRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=5))
    assert check_stalled_runs() == {"requeued": [], "finalized": [], "failed": []}

    # Batches end → target steps finish from the results, buyer steps submit theirs; once more → done.
    # Beat sends the poll as a task every DEALIQ_MESSAGE_BATCH_POLL_SECONDS.
    assert app.conf.beat_schedule["dealiq-poll-message-batches"]["task"] == poll_task.name
    for _ in range(2):
        fake_anthropic.end_batches()
        assert poll_task.delay().get()["resumed"]
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    discover_calls = EngineCall.objects.filter(run=run).exclude(step__kind=StepKind.REASON)
    assert discover_calls.count() == 4 and set(discover_calls.values_list("service_tier", flat=True)) == {"batch"}
    assert all("/run" in c.request_id for c in discover_calls)  # batch id / custom id
    assert set(EngineCall.objects.filter(run=run, step__kind=StepKind.REASON).values_list("service_tier", flat=True)) == {"standard"}
    assert len(fake_anthropic.batches) == 4 and len(fake_anthropic.message_requests) == 2  # the 2 reasoning calls
    assert not Fact.objects.for_run(run).filter(evidence__icontains="quantum mainframe").exists()  # grounded alike
    assert AuditEvent.objects.for_run(run).filter(event_type="step.waiting_for_batch").count() == 4

    # The same deal called directly costs about twice as much for discovery (fresh: an unchanged deal
    # would otherwise reuse the batched run's results and call nothing).
    fake_anthropic.reset()
    direct = start_run(sample_deal, priority="normal", domains=["applications", "network"], fresh=True)
    direct_discovery = sum(c.cost for c in EngineCall.objects.filter(run=direct).exclude(step__kind=StepKind.REASON))
    assert sum(c.cost for c in discover_calls) < direct_discovery * Decimal("0.75")


def test_a_cancelled_run_keeps_its_message_batch_and_a_requeue_uses_its_results(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    from workers.message_batches import poll_message_batches
    from workers.pipeline import cancel_run, requeue_run

    claude_settings.ANTHROPIC_MESSAGE_BATCH_PRIORITIES = ["low"]
    fake_anthropic.hold_batches = True
    run = start_run(sample_deal, priority="low", domains=["network"])
    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert step.status == StepStatus.WAITING
    assert cancel_run(run).changed

    fake_anthropic.end_batches()
    assert poll_message_batches()["resumed"] == []  # a cancelled run's steps are not resumed
    assert requeue_run(run).changed  # eager: target from the batch results, buyer submits its own
    step.refresh_from_db()
    assert step.status == StepStatus.DONE and len(fake_anthropic.batches) == 2
    fake_anthropic.end_batches()
    poll_message_batches()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error


def test_message_batch_steps_take_no_direct_call_rate_limit(sample_deal, claude_settings, fake_anthropic):  # noqa: F811
    from workers import ratelimit
    from workers.message_batches import poll_message_batches

    claude_settings.ANTHROPIC_MESSAGE_BATCH_PRIORITIES = ["low"]
    claude_settings.DEALIQ_RATE_LIMITS = {"anthropic": {"requests": 5, "tokens": 0}}
    ratelimit.limiter().reset("anthropic")
    run = start_run(sample_deal, priority="low", domains=["network"])
    poll_message_batches()  # target done, buyer submitted
    poll_message_batches()  # buyer done, reasoning called directly
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    assert len(ratelimit.limiter().logs["anthropic"]) == 1  # only the direct reasoning call took a request


def test_the_batch_poller_waits_out_configuration_errors_and_resubmits_a_vanished_batch(
    sample_deal, claude_settings, fake_anthropic, monkeypatch  # noqa: F811
):
    from workers.message_batches import poll_message_batches

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    claude_settings.ANTHROPIC_MESSAGE_BATCH_PRIORITIES = ["low"]
    fake_anthropic.hold_batches = True
    run = start_run(sample_deal, priority="low", domains=["network"])
    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    first_batch = step.message_batch_id

    claude_settings.ANTHROPIC_API_KEY = ""  # a beat host without the key: never a reason to pay twice
    report = poll_message_batches()
    step.refresh_from_db()
    assert report["errors"] == 1 and report["resumed"] == []
    assert (step.status, step.message_batch_id) == (StepStatus.WAITING, first_batch)

    claude_settings.ANTHROPIC_API_KEY = FAKE_API_KEY
    del fake_anthropic.batches[first_batch]  # expired at the provider: 404
    assert poll_message_batches()["resumed"] == [step.pk]
    step.refresh_from_db()
    assert step.status == StepStatus.WAITING and step.message_batch_id not in ("", first_batch)
    assert step.message_batch_id in fake_anthropic.batches  # the calls went into a new batch


@pytest.mark.worker
@pytest.mark.slow
def test_message_batches_on_a_real_worker_park_and_resume_through_the_broker(sample_deal, fake_anthropic):  # noqa: F811
    import time

    from workers.tasks import poll_message_batches

    require_real_stack()
    fake_anthropic.hold_batches = True
    env = {
        "DEALIQ_ENGINE": "anthropic",
        "ANTHROPIC_API_KEY": FAKE_API_KEY,
        "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "ANTHROPIC_MESSAGE_BATCH_PRIORITIES": "low",
    }

    def steps_in(status, count, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if RunStep.objects.filter(run=run, status=status).count() >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"{count} step(s) never {status}: {list(RunStep.objects.filter(run=run).values_list('kind', 'status'))}\n{worker.log_tail()}")

    with RealStack(extra_env=env) as stack:
        worker = stack.start_worker(concurrency=2)
        run = start_run(sample_deal, engine="anthropic", priority="low", domains=["applications", "network"])
        steps_in(StepStatus.WAITING, 2)  # both target steps submitted and parked; the chains stopped
        assert RunStep.objects.filter(run=run, kind=StepKind.DISCOVER_BUYER, status=StepStatus.PENDING).count() == 2
        for done in (2, 6):  # target steps finish and buyer steps park; then buyer and reasoning finish
            steps_in(StepStatus.WAITING, 2)
            fake_anthropic.end_batches()
            poll_message_batches.delay()  # what beat sends: the poll runs on the worker, with its settings
            steps_in(StepStatus.DONE, done)
        run = wait_for_run(run, timeout=60)

    assert run.status == RunStatus.COMPLETED, f"{run.error}\n{worker.log_tail()}"
    assert len(fake_anthropic.batches) == 4
    assert set(EngineCall.objects.filter(run=run).exclude(step__kind=StepKind.REASON).values_list("service_tier", flat=True)) == {"batch"}
