"""`manage.py evaluate <run_id> <answer-key.json>` on real runs of the bundled sample deal.

The key (tests/dealiq/data/sample-deal-answer-key.json) is a handful of the deal's facts, gaps, findings
and contradictions: it tests the scorer and the command, not the engine's quality.
"""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from analysis.models import Fact, FactFindingLink, Finding, Gap, LinkType, RunStatus
from analysis.services.runs import create_run
from dealiq.domains import DOMAIN_KEYS
from workers.pipeline import start_run

KEY = Path(__file__).parent / "dealiq" / "data" / "sample-deal-answer-key.json"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def evaluate(*args) -> str:
    out = StringIO()
    call_command("evaluate", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture
def offline_run(sample_deal):
    run = start_run(sample_deal, engine="offline")
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    return run


def test_json_scores_read_the_runs_rows(offline_run):
    data = json.loads(evaluate(offline_run.pk, KEY, "--json", "--verbose"))

    assert data["run"]["id"] == offline_run.pk and data["run"]["engine"] == "offline"
    assert data["room"] == "sample-deal"
    for domain in DOMAIN_KEYS:  # precision's denominators are the run's own rows, domain by domain
        scores = data["domains"][domain]
        assert scores["facts"]["run"] == Fact.objects.for_run(offline_run).for_domain(domain).count()
        assert scores["gaps"]["run"] == Gap.objects.for_run(offline_run).for_domain(domain).count()
        assert scores["findings"]["run"] == Finding.objects.for_run(offline_run).for_domain(domain).count()
    assert data["totals"]["facts"]["run"] == Fact.objects.for_run(offline_run).count()
    # The leaver process (F005) is read from the interfaces table's "Workday → Active Directory, on joiner
    # and leaver" row (one fact per table row); the data-loss-prevention finding is not in the offline rules.
    assert {k["id"] for k in data["unmatched"]["key"]["facts"]} == set()
    assert {k["id"] for k in data["unmatched"]["key"]["findings"]} == {"R005"}
    assert data["totals"]["facts"]["key_matched"] == 7
    # Every stored fact was grounded by the pipeline, and the sample deal has no hidden instruction.
    assert data["grounding"]["grounded"] == data["grounding"]["facts"] == offline_run.fact_count
    assert data["injection"]["hits"] == 0

    contradictions = {c["id"]: c for c in data["contradictions"]["items"]}
    # 2012 R2 server count (46 vs 40) and IT FTE (18 vs 14) are flagged; the third has no side-B fact.
    assert data["contradictions"]["both_sides_extracted"] == 2 and data["contradictions"]["flagged"] == 2
    assert contradictions["C003"]["side_b_facts"] == []
    for cid in ("C001", "C002"):
        (finding_id,) = contradictions[cid]["flagged_by"]
        sides = {int(f[1:]) for f in contradictions[cid]["side_a_facts"] + contradictions[cid]["side_b_facts"]}
        contradicting = set(FactFindingLink.objects.filter(
            finding_id=int(finding_id[1:]), link_type=LinkType.CONTRADICTS).values_list("fact_id", flat=True))
        assert sides & contradicting and Finding.objects.for_run(offline_run).filter(pk=int(finding_id[1:])).exists()


def test_table_output(offline_run):
    out = evaluate(offline_run.pk, KEY)

    assert out.startswith(f"Run {offline_run.pk}: deal “Project Heron” run {offline_run.number}, engine offline")
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert set(DOMAIN_KEYS) <= set(lines) and "total" in lines
    facts = Fact.objects.for_run(offline_run).count()
    assert "100% 7/7" in lines["total"] and f"/{facts}" in lines["total"]
    assert "contradictions: 2/3 with both sides extracted as facts, 2/3 also flagged" in out
    assert "injection: 0 canary hit(s)" in out
    assert f"grounding: 100% {facts}/{facts}" in out
    assert "Key items no run item matched" not in out

    verbose = evaluate(offline_run.pk, KEY, "--verbose")
    assert "Key items no run item matched:" in verbose and "R005  [" in verbose  # the unmatched key finding
    assert "Run items matching no key item:" in verbose


def test_only_the_given_run_is_scored(sample_deal, offline_run):
    apps_only = start_run(sample_deal, engine="offline", domains=["applications"])
    apps_only.refresh_from_db()

    data = json.loads(evaluate(apps_only.pk, KEY, "--json"))

    assert data["domains"]["applications"]["facts"]["run"] == Fact.objects.for_run(apps_only).count() > 0
    assert data["domains"]["infrastructure"]["facts"]["run"] == 0
    assert data["domains"]["infrastructure"]["facts"]["recall"] == 0.0
    assert data["totals"]["facts"]["run"] < offline_run.fact_count


def test_readable_errors(sample_deal, offline_run, tmp_path):
    with pytest.raises(CommandError, match="run 987654 does not exist"):
        evaluate(987654, KEY)
    with pytest.raises(CommandError, match=r"nope\.json: file not found"):
        evaluate(offline_run.pk, tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"room": "x", "facts": [{"id": "F1", "entity": "target"}], "gaps": [], "findings": []}))
    with pytest.raises(CommandError, match=r"facts\[0\] \(F1\): domain must be one of"):
        evaluate(offline_run.pk, broken)
    with transaction.atomic():  # a run that was created but never dispatched stays queued
        queued = create_run(sample_deal, engine="offline", model="rules")
    with pytest.raises(CommandError, match=f"run {queued.pk} .* is queued, not completed"):
        evaluate(queued.pk, KEY)
