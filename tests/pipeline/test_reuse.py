"""Incremental re-analysis: steps whose inputs did not change since an earlier completed run reuse its
results (status `reused`, no engine call, no rate-limit token); changed inputs re-run exactly their steps;
`--fresh` / the start form's checkbox force a full run. Real PostgreSQL, eager and on a real worker."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
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
    Verification,
)
from analysis.services import inputs
from analysis.services.reviews import ReviewInput, review_finding, reviewed_values
from analysis.services.verification import reject_fact, resolve_gap, verify_fact
from audit.models import AuditEvent
from dealiq.fingerprint import _plain
from deals.ingestion import store_document
from workers.pipeline import start_run

from ..fakes.fixtures import fake_anthropic, real_worker_env  # noqa: F401  (pytest fixture)
from ..support.worker import RealStack, require_real_stack, wait_for_run
from .test_claude_pipeline import claude_settings  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def keys(run: AnalysisRun) -> dict[str, set[str]]:
    return {
        "facts": set(Fact.all_objects.for_run(run).values_list("key", flat=True)),
        "gaps": set(Gap.objects.for_run(run).values_list("key", flat=True)),
        "findings": set(Finding.objects.for_run(run).values_list("key", flat=True)),
        "links": set(
            FactFindingLink.objects.filter(finding__run=run).values_list("fact__key", "finding__key", "link_type")
        ),
    }


def statuses(run: AnalysisRun) -> dict[tuple[str, str], str]:
    return {(s.domain, s.kind): s.status for s in RunStep.objects.filter(run=run)}


def completed(run: AnalysisRun) -> AnalysisRun:
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    return run


def assert_same_results(reused: AnalysisRun, original: AnalysisRun) -> None:
    assert keys(reused) == keys(original)
    assert reused.counts == original.counts
    assert (reused.fact_count, reused.gap_count, reused.finding_count) == (
        original.fact_count, original.gap_count, original.finding_count,
    )
    # Content too, not just keys: the copies are the rows a re-run would have written.
    fields = ("key", "entity", "domain", "category", "item", "details", "evidence", "document_id", "pages")
    assert sorted(Fact.objects.for_run(reused).values_list(*fields)) == sorted(
        Fact.objects.for_run(original).values_list(*fields)
    )
    finding_fields = ("key", "finding_type", "domain", "title", "severity", "phase", "cost_low", "cost_high")
    assert sorted(Finding.objects.for_run(reused).values_list(*finding_fields)) == sorted(
        Finding.objects.for_run(original).values_list(*finding_fields)
    )


@pytest.mark.slow
def test_an_unchanged_rerun_reuses_every_step_and_fresh_reruns_them_all(sample_deal, client, member):
    first = completed(start_run(sample_deal))
    assert set(statuses(first).values()) == {StepStatus.DONE}
    assert all(len(s.input_fingerprint) == 64 for s in RunStep.objects.filter(run=first))

    second = completed(start_run(sample_deal))

    assert set(statuses(second).values()) == {StepStatus.REUSED}
    assert_same_results(second, first)
    for step in RunStep.objects.filter(run=second).select_related("reused_from"):
        assert step.reused_from.run_id == first.pk and (step.reused_from.domain, step.reused_from.kind) == (
            step.domain, step.kind)
        assert step.input_fingerprint == step.reused_from.input_fingerprint
        assert step.items_written == step.reused_from.items_written
    assert (second.steps_done, second.progress) == (18, 100)
    assert AuditEvent.objects.for_run(second).filter(event_type="step.reused").count() == 18

    # The run page says which steps were reused, and from which run.
    client.force_login(member(sample_deal, "viewer"))
    page = client.get(reverse("analysis:run", args=[sample_deal.pk, second.number])).content.decode()
    assert 'id="steps-reused"' in page and "18 of 18 steps reused" in page
    first_url = reverse("analysis:run", args=[sample_deal.pk, first.number])
    assert f'from <a href="{first_url}">run {first.number}</a>' in page
    status = client.get(reverse("analysis:run_status", args=[sample_deal.pk, second.number])).json()
    assert {s["status"] for s in status["steps"]} == {"reused"}
    assert {s["reused_from_run"] for s in status["steps"]} == {first.number}

    # --fresh re-runs everything, and gives the same results.
    out = io.StringIO()
    call_command("analyze", sample_deal.pk, "--fresh", stdout=out)
    assert "fresh: nothing reused" in out.getvalue()
    fresh = AnalysisRun.objects.for_deal(sample_deal).order_by("-number").first()
    assert fresh.fresh and fresh.status == RunStatus.COMPLETED
    assert set(statuses(fresh).values()) == {StepStatus.DONE}
    assert_same_results(fresh, first)


@pytest.mark.slow
def test_the_start_form_checkbox_forces_a_full_run(sample_deal, client, member, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    completed(start_run(sample_deal))
    client.force_login(member(sample_deal, "analyst"))
    deal_page = client.get(reverse("analysis:deal", args=[sample_deal.pk])).content.decode()
    assert 'name="fresh"' in deal_page

    client.post(reverse("analysis:run_start", args=[sample_deal.pk]))
    client.post(reverse("analysis:run_start", args=[sample_deal.pk]), {"fresh": "1"})

    reused, fresh = AnalysisRun.objects.for_deal(sample_deal).order_by("number")[1:]
    assert not reused.fresh and set(statuses(reused).values()) == {StepStatus.REUSED}
    assert fresh.fresh and set(statuses(fresh).values()) == {StepStatus.DONE}
    page = client.get(reverse("analysis:run", args=[sample_deal.pk, fresh.number])).content.decode()
    assert 'id="run-fresh"' in page and 'id="steps-reused"' not in page


def _reasoning_inputs_by_domain(run: AnalysisRun) -> dict[str, str]:
    return {d: json.dumps(_plain(inputs.reasoning_inputs(run, d)), sort_keys=True, default=str) for d in run.domains}


@pytest.mark.slow
def test_changing_one_buyer_document_reruns_exactly_the_steps_whose_inputs_changed(sample_deal):
    first = completed(start_run(sample_deal))
    old = sample_deal.documents.get(entity="buyer", filename="03-server-summary.csv")
    text = old.file.read().decode()
    stored = store_document(
        sample_deal, "buyer", "03-server-summary.csv",
        (text.rstrip("\n") + "\nWindows Server 2012 R2,14,Equinix AM3,Legacy file servers; out of support\n").encode(),
    )
    assert stored.document.version == 2

    second = completed(start_run(sample_deal))

    steps = statuses(second)
    for domain in second.domains:
        # Target documents did not change; the buyer's did (every domain reads all of the buyer's pages).
        assert steps[(domain, StepKind.DISCOVER_TARGET)] == StepStatus.REUSED
        assert steps[(domain, StepKind.DISCOVER_BUYER)] == StepStatus.DONE
    # Reasoning re-ran exactly where its facts and gaps differ from the first run's.
    before, after = _reasoning_inputs_by_domain(first), _reasoning_inputs_by_domain(second)
    changed = {d for d in second.domains if before[d] != after[d]}
    assert changed and changed != set(second.domains), changed  # the change touched some domains, not all
    for domain in second.domains:
        expected = StepStatus.DONE if domain in changed else StepStatus.REUSED
        assert steps[(domain, StepKind.REASON)] == expected, domain
    # And the run is what a full run of the new documents gives.
    fresh = completed(start_run(sample_deal, fresh=True))
    assert_same_results(second, fresh)


def test_verification_and_reviews_survive_a_reused_step(sample_deal, make_user):
    analyst = make_user("ana")
    first = completed(start_run(sample_deal))
    facts = list(Fact.objects.for_run(first).order_by("key")[:3])
    verify_fact(facts[0], analyst, "checked against the inventory")
    reject_fact(facts[1], analyst, "duplicate of another row")
    gap = Gap.objects.for_run(first).order_by("key").first()
    resolve_gap(gap, analyst, "asked in the Q&A")
    finding = Finding.objects.for_run(first).order_by("key").first()
    review_finding(finding, analyst, ReviewInput(decision="accepted", severity="low", reason="mitigated already"))

    second = completed(start_run(sample_deal))

    assert set(statuses(second).values()) == {StepStatus.REUSED}
    copy = {f.key: f for f in Fact.objects.for_run(second).filter(key__in=[f.key for f in facts])}
    assert copy[facts[0].key].verification == Verification.VERIFIED
    assert copy[facts[0].key].verified_by == analyst and copy[facts[0].key].verified_in_run == first.number
    assert copy[facts[1].key].verification == Verification.REJECTED
    assert copy[facts[1].key].verification_note == "duplicate of another row"
    assert copy[facts[2].key].verification == Verification.PENDING
    gap_copy = Gap.objects.for_run(second).get(key=gap.key)
    assert gap_copy.resolved_by == analyst and gap_copy.resolution_note == "asked in the Q&A"
    finding_copy = Finding.objects.for_run(second).get(key=finding.key)
    values = reviewed_values(finding_copy)
    assert (values.severity, values.decision) == ("low", "accepted")
    # The copies are new rows of the new run, not the old ones moved.
    assert Fact.objects.for_run(first).filter(pk=facts[0].pk, verification=Verification.VERIFIED).exists()


def test_an_unchanged_rerun_on_the_claude_engine_makes_no_call_and_takes_no_rate_limit_token(
    sample_deal, claude_settings, fake_anthropic  # noqa: F811
):
    from workers import ratelimit

    claude_settings.DEALIQ_RATE_LIMIT_REDIS_URL = None  # the in-process limiter, whose log we can read
    claude_settings.DEALIQ_RATE_LIMITS = {"anthropic": {"requests": 1000, "tokens": 10_000_000}}
    limiter = ratelimit.limiter()
    limiter.reset("anthropic")
    first = completed(start_run(sample_deal))
    calls = len(fake_anthropic.message_requests)
    assert calls > 0 and first.calls == calls
    granted = len(limiter.logs["anthropic"])
    assert granted >= 18  # every step of the first run took its tokens

    second = completed(start_run(sample_deal))

    assert len(fake_anthropic.message_requests) == calls  # not one request more
    assert len(limiter.logs["anthropic"]) == granted  # and not one rate-limit token
    assert set(statuses(second).values()) == {StepStatus.REUSED}
    assert (second.calls, second.input_tokens, second.output_tokens, second.cost) == (0, 0, 0, 0)
    assert not EngineCall.objects.filter(run=second).exists()
    assert_same_results(second, first)


@pytest.mark.worker
@pytest.mark.slow
def test_an_unchanged_rerun_on_a_real_worker_makes_no_call(sample_deal, fake_anthropic):  # noqa: F811
    require_real_stack()
    with RealStack(extra_env=real_worker_env(fake_anthropic)) as stack:
        worker = stack.start_worker(concurrency=2)
        first = wait_for_run(start_run(sample_deal, engine="anthropic"), timeout=180)
        assert first.status == RunStatus.COMPLETED, f"{first.error}\n{worker.log_tail()}"
        calls = len(fake_anthropic.message_requests)
        assert calls > 0
        second = wait_for_run(start_run(sample_deal, engine="anthropic"), timeout=180)
        assert second.status == RunStatus.COMPLETED, f"{second.error}\n{worker.log_tail()}"
        assert len(fake_anthropic.message_requests) == calls
        fresh = wait_for_run(start_run(sample_deal, engine="anthropic", fresh=True), timeout=180)
        assert fresh.status == RunStatus.COMPLETED, f"{fresh.error}\n{worker.log_tail()}"

    assert set(statuses(second).values()) == {StepStatus.REUSED}
    assert second.calls == 0 and not EngineCall.objects.filter(run=second).exists()
    assert all(step.worker.startswith("w0-") for step in RunStep.objects.filter(run=second))
    assert_same_results(second, first)
    # --fresh on the worker: every step called the model again.
    assert set(statuses(fresh).values()) == {StepStatus.DONE}
    assert len(fake_anthropic.message_requests) == calls + fresh.calls and fresh.calls > 0


@pytest.mark.slow
def test_a_fresh_batch_runs_every_step(sample_deal):
    completed(start_run(sample_deal))

    call_command("analyze", "--all", "--batch", "overnight", "--fresh", stdout=io.StringIO())

    run = AnalysisRun.objects.for_deal(sample_deal).order_by("-number").first()
    assert run.batch is not None and run.batch.name == "overnight" and run.fresh
    run = completed(run)
    assert set(statuses(run).values()) == {StepStatus.DONE}
