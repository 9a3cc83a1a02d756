"""The walking skeleton end to end: eager run, redelivery, a crash mid-engine."""
from __future__ import annotations

import os

import pytest

from analysis.models import AnalysisRun, Fact, Finding, Gap, RunStatus, RunStep, StepKind, StepStatus
from dealiq.domains import DOMAIN_KEYS
from dealiq.grounding import normalise_text
from deals.models import DocumentPage
from workers.pipeline import start_run
from workers.tasks import TASK_FOR_KIND, finalize

from ..support.engines import EXPLODE_DOMAIN

pytestmark = pytest.mark.django_db(transaction=True)


def row_counts(run: AnalysisRun) -> dict[str, int]:
    return {
        "facts": Fact.objects.for_run(run).count(),
        "gaps": Gap.objects.for_run(run).count(),
        "findings": Finding.objects.for_run(run).count(),
        "links": Finding.facts.through.objects.filter(finding__run=run).count(),
    }


def test_eager_run_completes_with_grounded_results_in_every_domain(sample_deal):
    run = start_run(sample_deal)
    run.refresh_from_db()

    assert run.status == RunStatus.COMPLETED, run.error
    assert run.progress == 100
    assert RunStep.objects.filter(run=run).count() == 18
    assert set(RunStep.objects.filter(run=run).values_list("status", flat=True)) == {StepStatus.DONE}
    for domain in DOMAIN_KEYS:
        assert Fact.objects.for_run(run).for_domain(domain).exists(), f"no facts in {domain}"
        assert Gap.objects.for_run(run).for_domain(domain).exists(), f"no gaps in {domain}"
        assert Finding.objects.for_run(run).for_domain(domain).exists(), f"no findings in {domain}"
    for fact in Fact.objects.for_run(run):
        pages = DocumentPage.objects.filter(document=fact.document, number__in=fact.pages).order_by("number")
        text = normalise_text(" ".join(p.text for p in pages))
        assert normalise_text(fact.evidence) in text, f"evidence of {fact.item!r} not on its page"
    assert run.fact_count == Fact.objects.for_run(run).count()
    assert run.document_manifest and all("sha256" in d for d in run.document_manifest)


def test_running_every_step_task_again_changes_no_rows(sample_deal):
    run = start_run(sample_deal)
    before = row_counts(run)
    attempts_before = dict(RunStep.objects.filter(run=run).values_list("id", "attempts"))

    for step in RunStep.objects.filter(run=run):
        result = TASK_FOR_KIND[StepKind(step.kind)].apply(args=(run.pk, step.domain)).get()
        assert result["status"] == "skipped"
    assert finalize.apply(args=(run.pk,)).get().startswith("skipped")

    assert row_counts(run) == before
    assert dict(RunStep.objects.filter(run=run).values_list("id", "attempts")) == attempts_before


def test_step_crashing_mid_engine_writes_nothing_and_fails_the_run(sample_deal):
    run = start_run(sample_deal, engine="exploding")
    run.refresh_from_db()

    assert run.status == RunStatus.FAILED
    assert "simulated crash inside the engine" in run.error
    failed = RunStep.objects.get(run=run, domain=EXPLODE_DOMAIN, kind=StepKind.DISCOVER_TARGET)
    assert failed.status == StepStatus.FAILED and "simulated crash" in failed.error
    assert not Fact.objects.for_run(run).filter(domain=EXPLODE_DOMAIN, entity="target").exists()
    assert not Finding.objects.for_run(run).filter(domain=EXPLODE_DOMAIN).exists()
    for domain in set(DOMAIN_KEYS) - {EXPLODE_DOMAIN}:
        assert Fact.objects.for_run(run).for_domain(domain).exists()
        assert Finding.objects.for_run(run).for_domain(domain).exists()
        assert not RunStep.objects.filter(run=run, domain=domain).exclude(status=StepStatus.DONE).exists()


def test_analyze_command_runs_the_chosen_domains_and_refuses_bad_input_readably(sample_deal, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("analyze", str(sample_deal.pk), "--domains", "network, cybersecurity", stdout=open(os.devnull, "w"))
    run = AnalysisRun.objects.get(deal=sample_deal)
    assert run.status == RunStatus.COMPLETED and sorted(run.domains) == ["cybersecurity", "network"]
    assert set(RunStep.objects.filter(run=run).values_list("domain", flat=True)) == {"cybersecurity", "network"}

    with pytest.raises(CommandError, match="unknown domain"):
        call_command("analyze", str(sample_deal.pk), "--domains", "plumbing", stdout=open(os.devnull, "w"))
    settings.DEALIQ_MIN_FREE_DISK_MB = 10**12
    with pytest.raises(CommandError, match="Not enough free disk space"):
        call_command("analyze", str(sample_deal.pk), stdout=open(os.devnull, "w"))
    assert AnalysisRun.objects.filter(deal=sample_deal).count() == 1
