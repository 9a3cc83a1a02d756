"""The Claude engine through the real pipeline when the model and the infrastructure misbehave.

The real anthropic SDK talks to the fake Messages API on loopback; the fake keeps its own books of the
answers it served (calls and tokens), and DealIQ's records are compared against those.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analysis.models import AnalysisRun, EngineCall, Fact, Finding, RunStatus, RunStep, StepKind, StepStatus
from audit.models import AuditEvent
from dealiq.domains import DOMAIN_KEYS
from dealiq.engines.anthropic_engine.parsing import COST_OUT_OF_ORDER, EMPTY_TITLE
from dealiq.grounding import UNGROUNDED, normalise_text
from deals.models import DocumentPage
from workers.pipeline import requeue_run, start_run

from ..fakes.anthropic_server import Sloppiness
from ..fakes.fixtures import fake_anthropic, real_worker_env  # noqa: F401  (pytest fixture)
from ..support.services import TEST_BROKER_URL
from ..support.tcp_proxy import TcpProxy
from ..support.worker import RealStack, require_real_stack, wait_for_run
from .test_claude_pipeline import claude_settings  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SLOPPY = Sloppiness(cost_inversion_every=2, misquote_every=2)


def is_for(domain: str, entity: str | None = None):
    return lambda r: r.domain == domain and (entity is None or r.entity == entity)  # noqa: E731


def assert_books_match(run: AnalysisRun, fake) -> None:
    """What the run recorded is what the API served: every billed answer, faults included."""
    run.refresh_from_db()
    served = fake.served
    assert run.calls == served["calls"] == EngineCall.objects.filter(run=run).count()
    assert run.input_tokens == served["input_tokens"]
    assert run.output_tokens == served["output_tokens"]
    assert run.cache_creation_input_tokens == served["cache_creation_input_tokens"]
    assert run.cache_read_input_tokens == served["cache_read_input_tokens"]
    steps = RunStep.objects.filter(run=run)
    assert run.calls == sum(s.calls for s in steps)
    assert EngineCall.objects.filter(run=run).values("request_id").distinct().count() == run.calls


def assert_every_fact_grounded_on_its_page(run: AnalysisRun) -> None:
    facts = list(Fact.objects.for_run(run))
    assert facts
    for fact in facts:
        pages = DocumentPage.objects.filter(document_id=fact.document_id, number__in=fact.pages).order_by("number")
        text = normalise_text(" ".join(p.text for p in pages))
        assert normalise_text(fact.evidence) in text, (fact.item, fact.pages)


def assert_sloppy_run_completed(run: AnalysisRun, fake) -> None:
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    steps = RunStep.objects.filter(run=run)
    assert steps.count() == 3 * len(DOMAIN_KEYS)
    assert set(steps.values_list("status", flat=True)) == {StepStatus.DONE}
    assert_every_fact_grounded_on_its_page(run)
    assert not Fact.objects.for_run(run).filter(evidence__icontains="certified as flawless").exists()
    # Half the findings came with cost_low above cost_high: kept, without the range, and noted.
    findings = Finding.objects.for_run(run)
    assert findings.count() >= len(DOMAIN_KEYS)
    assert not [f for f in findings if f.cost_low is not None and f.cost_high is not None and f.cost_low > f.cost_high]
    cost_fixed = [f for f in findings if any("cost_low" in note for note in f.details.get("normalised", []))]
    assert cost_fixed and all(f.cost_low is None and f.cost_high is None for f in cost_fixed)
    reasoned = steps.filter(kind=StepKind.REASON)
    assert sum(s.item_summary.normalised.get(COST_OUT_OF_ORDER, 0) for s in reasoned) > 0
    discovered = steps.exclude(kind=StepKind.REASON)
    assert sum(s.item_summary.dropped.get(UNGROUNDED, 0) for s in discovered) == run.dropped_ungrounded > 0
    assert_books_match(run, fake)


def test_a_sloppy_model_and_overload_still_complete_the_sample_deal(
    sample_deal, claude_settings, fake_anthropic, fast_backoff, client, member  # noqa: F811
):
    fake_anthropic.sloppy = SLOPPY
    fake_anthropic.fail_next(529, times=3)

    run = start_run(sample_deal)

    assert_sloppy_run_completed(run, fake_anthropic)
    assert fake_anthropic.errors_served == 3
    # The 529s waited without spending an attempt.
    waits = RunStep.objects.filter(run=run, rate_limit_waits__gt=0)
    assert sum(s.rate_limit_waits for s in waits) == 3
    assert all(s.attempts - s.attempt_floor == 1 for s in waits)
    # The run page shows what was normalised and dropped, per step and per run, with the reasons.
    client.force_login(member(sample_deal, "viewer"))
    page = client.get(reverse("analysis:run", args=[sample_deal.pk, run.number])).content.decode()
    assert 'id="item-report"' in page
    assert f"{COST_OUT_OF_ORDER}: " in page and f"{UNGROUNDED}: " in page
    step = RunStep.objects.filter(run=run, kind=StepKind.REASON).exclude(item_report={}).first()
    assert f"{step.item_summary.normalised_items} normalised" in page


def test_an_item_the_model_left_blank_is_dropped_and_counted_not_the_domain(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    fake_anthropic.sloppy = Sloppiness(blank_title_every=3)
    run = start_run(sample_deal, domains=["applications", "network"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    reasoned = RunStep.objects.filter(run=run, kind=StepKind.REASON)
    assert sum(s.item_summary.dropped.get(EMPTY_TITLE, 0) for s in reasoned) >= 1
    assert all(s.findings_written > 0 for s in reasoned)
    assert not Finding.objects.for_run(run).filter(title__regex=r"^\s*$").exists()
    assert_books_match(run, fake_anthropic)


def test_a_redis_blip_right_after_the_answer_replays_the_saved_answer(
    sample_deal, claude_settings, fake_anthropic, fast_backoff  # noqa: F811
):
    import redis

    url = redis.connection.parse_url(TEST_BROKER_URL)
    proxy = TcpProxy(url.get("host", "127.0.0.1"), url.get("port", 6379))
    claude_settings.DEALIQ_WARMUP_REDIS_URL = f"redis://127.0.0.1:{proxy.port}/{url.get('db', 0)}"
    stale = redis.Redis.from_url(TEST_BROKER_URL).keys("dealiq:warmup:*")
    if stale:
        redis.Redis.from_url(TEST_BROKER_URL).delete(*stale)
    buyer_call = is_for("applications", "buyer")

    def blip(request):  # the last call that goes through the warm-up gate: Redis is gone as it answers
        if buyer_call(request):
            proxy.cut()

    fake_anthropic.before_reply = blip
    try:
        run = start_run(sample_deal, domains=["applications"])
    finally:
        proxy.close()
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    step = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_BUYER)
    assert step.status == StepStatus.DONE and step.retries == 1
    assert len([r for r in fake_anthropic.message_requests if buyer_call(r)]) == 1  # no second call
    assert step.calls == 1 and EngineCall.objects.filter(step=step).count() == 1
    retry = AuditEvent.objects.for_run(run).get(event_type="step.retry_scheduled")
    assert retry.data["error"].startswith("redis:")
    assert Fact.objects.for_run(run).filter(domain="applications", entity="buyer").exists()
    assert_books_match(run, fake_anthropic)


def test_rate_limits_wait_without_spending_attempts(sample_deal, claude_settings, fake_anthropic, fast_backoff):  # noqa: F811
    limited = claude_settings.DEALIQ_STEP_MAX_ATTEMPTS + 2  # more 429s than a step has attempts
    fake_anthropic.fail_next(429, headers={"retry-after": "0.01"}, times=limited, when=is_for("network", "target"))

    run = start_run(sample_deal, domains=["network"])
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert (step.status, step.retries, step.rate_limit_waits) == (StepStatus.DONE, limited, limited)
    assert step.attempts - step.attempt_floor == 1  # only the attempt that succeeded counts
    assert step.rate_limit_waited_seconds >= 0.01 * limited  # Retry-After is a floor
    events = AuditEvent.objects.for_run(run).filter(event_type="step.retry_scheduled")
    assert events.count() == limited and not any(e.data["attempt_spent"] for e in events)


def test_past_the_wait_budget_rate_limits_spend_attempts(sample_deal, claude_settings, fake_anthropic, fast_backoff):  # noqa: F811
    claude_settings.DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS = 0
    fake_anthropic.fail_next(429, headers={"retry-after": "0.01"}, times=50, when=is_for("network", "target"))

    run = start_run(sample_deal, domains=["network"])
    run.refresh_from_db()

    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert run.status == RunStatus.FAILED and step.status == StepStatus.FAILED
    assert f"gave up after {claude_settings.DEALIQ_STEP_MAX_ATTEMPTS} attempts" in step.error
    assert step.rate_limit_waits == 0


def test_failed_repaired_and_cut_calls_are_all_counted(sample_deal, claude_settings, fake_anthropic):  # noqa: F811
    fake_anthropic.malformed_next(times=2, when=is_for("applications", "target"))  # unusable twice: fails
    fake_anthropic.cut_next(when=is_for("network", "target"))  # cut at max_tokens: split in two

    run = start_run(sample_deal, domains=["applications", "network"])
    run.refresh_from_db()

    failed = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_TARGET)
    assert failed.status == StepStatus.FAILED and "invalid_output" in failed.error
    assert failed.calls == 2 and failed.output_tokens > 0  # both billed answers of the failed step
    split = RunStep.objects.get(run=run, domain="network", kind=StepKind.DISCOVER_TARGET)
    assert split.status == StepStatus.DONE and split.calls == 3  # the cut answer and the two halves
    assert_books_match(run, fake_anthropic)


def test_a_step_that_failed_on_invalid_output_is_not_paid_twice(sample_deal, claude_settings, fake_anthropic):  # noqa: F811
    apps_target = is_for("applications", "target")
    fake_anthropic.malformed_next(times=2, when=apps_target)
    run = start_run(sample_deal, domains=["applications"])
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    paid = [r for r in fake_anthropic.message_requests if apps_target(r)]
    assert len(paid) == 2

    # Re-queued with the same inputs: the saved answers are replayed, nothing is paid again.
    assert requeue_run(run).changed
    run.refresh_from_db()
    step = RunStep.objects.get(run=run, domain="applications", kind=StepKind.DISCOVER_TARGET)
    assert run.status == RunStatus.FAILED and step.status == StepStatus.FAILED and "invalid_output" in step.error
    assert [r for r in fake_anthropic.message_requests if apps_target(r)] == paid
    assert step.calls == 2

    # The analyst asks for fresh answers: the model is called again (and answers well this time).
    call_command("requeue_runs", "--fresh-answers", "--deal", str(sample_deal.pk))
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    assert len([r for r in fake_anthropic.message_requests if apps_target(r)]) == 3
    assert_books_match(run, fake_anthropic)


def test_reasoning_over_changed_inputs_is_not_replayed(sample_deal, claude_settings, fake_anthropic):  # noqa: F811
    """The saved answer belongs to the exact request: a re-queued reasoning step whose facts changed
    pays for a new answer."""
    fake_anthropic.malformed_next(times=2, when=lambda r: r.tool_name == "record_findings")
    run = start_run(sample_deal, domains=["network"])
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    reason_calls = lambda: [r for r in fake_anthropic.message_requests if r.tool_name == "record_findings"]  # noqa: E731
    assert len(reason_calls()) == 2

    Fact.objects.for_run(run).filter(domain="network").first().delete()  # the inputs change
    assert requeue_run(run).changed
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    assert len(reason_calls()) == 3


@pytest.mark.worker
@pytest.mark.slow
def test_a_sloppy_model_and_overload_still_complete_on_a_real_worker(sample_deal, fake_anthropic):  # noqa: F811
    require_real_stack()
    env = real_worker_env(fake_anthropic, DEALIQ_RETRY_BACKOFF_BASE="0.2", DEALIQ_RETRY_BACKOFF_CAP="1")
    fake_anthropic.sloppy = SLOPPY
    fake_anthropic.fail_next(529, times=3)
    with RealStack(extra_env=env) as stack:
        worker = stack.start_worker(concurrency=2)
        run = wait_for_run(start_run(sample_deal, engine="anthropic"), timeout=180)
        assert run.status == RunStatus.COMPLETED, f"{run.error}\n{worker.log_tail()}"

    assert_sloppy_run_completed(run, fake_anthropic)
    assert fake_anthropic.errors_served == 3
    assert sum(s.rate_limit_waits for s in RunStep.objects.filter(run=run)) == 3


def test_a_duplicate_delivery_pays_once_and_the_copy_that_lost_its_claim_is_still_counted(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    from analysis.services.runs import create_run
    from analysis.services.steps import StaleClaim, claim_step
    from workers.engine_registry import engine_for
    from workers.step_runner import _discover, execute_step

    run = create_run(sample_deal, engine="anthropic", domains=["network"])
    first = claim_step(run.pk, "network", StepKind.DISCOVER_TARGET).claim
    # The first copy's worker stops heartbeating; the message is delivered again: a newer claim.
    RunStep.objects.filter(pk=first.step_id).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert claim_step(run.pk, "network", StepKind.DISCOVER_TARGET).claim.attempt == first.attempt + 1
    with pytest.raises(StaleClaim):  # the first copy's answer arrives after it lost the claim
        _discover(first, AnalysisRun.objects.get(pk=run.pk), engine_for("anthropic"))
    step = RunStep.objects.get(run=run, kind=StepKind.DISCOVER_TARGET)
    assert step.calls == 1 and step.partial["answers"]  # billed, so counted; and kept for the owner

    # The step runs again (its newer owner went away too): the saved answer is replayed, not paid for.
    RunStep.objects.filter(pk=first.step_id).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    outcome = execute_step(run.pk, "network", StepKind.DISCOVER_TARGET)

    assert outcome.status == "done", outcome.detail
    network_target = [r for r in fake_anthropic.message_requests if is_for("network", "target")(r)]
    assert len(network_target) == 1  # replayed, not paid twice
    step.refresh_from_db()
    assert step.calls == 1 and Fact.objects.for_run(run).filter(domain="network", entity="target").exists()
    assert "answers" not in step.partial  # a done step keeps no answers
    assert_books_match(run, fake_anthropic)
