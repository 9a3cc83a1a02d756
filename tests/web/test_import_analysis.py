"""`manage.py import_analysis <deal> <path>`: earlier analyses (legacy lists or DealIQ's own export) become
a run marked imported, keeping legacy ids, with progress and a reconciliation report."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis.models import Fact, FactFindingLink, Finding, Gap, RunOrigin, RunStatus
from tests.factories import make_deal, make_document

pytestmark = pytest.mark.django_db

LEGACY_FACTS = [
    {"fact_id": "F-TGT-INFRA-001", "domain": "infrastructure", "category": "servers", "item": "Windows Server 2012 R2 (40 hosts)",
     "details": {"count": 40, "os": "Windows Server 2012 R2"}, "entity": "target", "source_document": "infra-overview.pdf",
     "evidence": {"exact_quote": "40 hosts run Windows Server 2012 R2.", "source_section": "2.1 Servers, p. 3"}},
    {"fact_id": "F-TGT-CYBER-001", "domain": "Cybersecurity", "category": "edr", "item": "CrowdStrike Falcon on all endpoints",
     "evidence": {"exact_quote": "All endpoints run CrowdStrike Falcon.", "source_section": "Security"},
     "source_document": "security.docx"},
    {"fact_id": "F-TGT-NET-001", "domain": "network", "category": "wan", "item": "MPLS WAN", "evidence": {"exact_quote": ""}},
    {"fact_id": "F-TGT-INFRA-002", "domain": "infrastructure", "category": "servers", "item": "Windows Server 2012 R2 (40 hosts)",
     "evidence": {"exact_quote": "40 hosts run Windows Server 2012 R2."}},
]
LEGACY_GAPS = [
    {"gap_id": "G-TGT-INFRA-001", "domain": "infrastructure", "category": "dr", "description": "No DR test evidence",
     "importance": "critical", "entity": "target"},
    {"gap_id": "G-BYR-IAM-001", "domain": "IAM", "category": "mfa", "description": "Buyer MFA coverage unknown",
     "importance": "medium", "entity": "buyer"},
    {"gap_id": "G-TGT-XYZ-001", "domain": "facilities", "category": "x", "description": "Canteen menu", "importance": "low"},
]
LEGACY_RISKS = [
    {"risk_id": "R-001", "domain": "infrastructure", "title": "Windows Server 2012 R2 is out of support", "severity": "High",
     "phase": "Day 1", "cost": "$50k-100k", "fact_ids": ["F-TGT-INFRA-001"], "mitigation": "Buy ESU, then migrate."},
    {"risk_id": "R-002", "domain": "network", "title": "Unknown WAN contract", "severity": "catastrophic", "phase": "tsa"},
]
LEGACY_WORK_ITEMS = [
    {"id": "W-001", "domain": "applications", "title": "Separate the ERP", "severity": "medium", "phase": "TSA",
     "cost_low": 200000, "cost_high": 400000, "currency": "EUR"},
]
LEGACY_RECOMMENDATIONS = [
    {"id": "REC-001", "domain": "cybersecurity", "title": "Commission a penetration test", "severity": "low",
     "phase": "100-day", "cost": {"low": 15000, "high": 25000}},
]


def write(folder, name, data):
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def run_command(deal, path) -> str:
    out = io.StringIO()
    call_command("import_analysis", str(deal.pk), str(path), stdout=out)
    return out.getvalue()


def test_legacy_lists_become_an_imported_run_keeping_ids_with_a_reconciliation_report(tmp_path):
    deal = make_deal("Project Kestrel")
    pdf = make_document(deal, "target", ["Intro", "Servers", "40 hosts run Windows Server 2012 R2."], filename="infra-overview.pdf")
    folder = tmp_path / "legacy"
    folder.mkdir()
    write(folder, "facts.json", LEGACY_FACTS)
    write(folder, "gaps.json", LEGACY_GAPS)
    write(folder, "risks.json", LEGACY_RISKS)
    write(folder, "work_items.json", LEGACY_WORK_ITEMS)
    write(folder, "recommendations.json", LEGACY_RECOMMENDATIONS)

    output = run_command(deal, folder)

    run = deal.runs.get()
    assert run.origin == RunOrigin.IMPORTED and run.is_imported and run.status == RunStatus.COMPLETED
    assert run.import_source == str(folder) and run.progress == 100
    servers = Fact.objects.get(run=run, legacy_id="F-TGT-INFRA-001")
    assert (servers.document_id, servers.pages, servers.entity) == (pdf.pk, [3], "target")
    assert servers.details == {"count": 40, "os": "Windows Server 2012 R2", "source_section": "2.1 Servers, p. 3"}
    edr = Fact.objects.get(run=run, legacy_id="F-TGT-CYBER-001")
    assert edr.domain == "cybersecurity" and edr.document_id is None and edr.details["source_document"] == "security.docx"
    assert set(Gap.objects.for_run(run).values_list("legacy_id", "importance", "entity")) == {
        ("G-TGT-INFRA-001", "critical", "target"), ("G-BYR-IAM-001", "important", "buyer")}
    risk = Finding.objects.get(run=run, legacy_id="R-001")
    assert (risk.finding_type, risk.severity, risk.phase, risk.cost_low, risk.cost_high, risk.currency) == (
        "risk", "high", "day_1", 50000, 100000, "USD")
    assert FactFindingLink.objects.get(finding=risk).fact == servers
    erp = Finding.objects.get(run=run, legacy_id="W-001")
    assert (erp.finding_type, erp.phase, erp.cost_low, erp.currency) == ("work_item", "tsa", 200000, "EUR")
    pen = Finding.objects.get(run=run, legacy_id="REC-001")
    assert (pen.finding_type, pen.phase, pen.cost_high) == ("recommendation", "100_day", 25000)
    assert (run.fact_count, run.gap_count, run.finding_count) == (2, 2, 3)

    assert "[100%]" in output
    assert "facts            4       2         2  ok" in output
    assert "gaps             3       2         1  ok" in output
    assert "findings         4       3         1  ok" in output
    assert "rejected fact F-TGT-NET-001: no evidence quote (facts must quote their source)" in output
    assert "rejected fact F-TGT-INFRA-002: the same fact as F-TGT-INFRA-001" in output
    assert "rejected gap G-TGT-XYZ-001: unknown domain 'facilities'" in output
    assert "rejected finding R-002: unknown severity 'catastrophic'" in output


def test_dealiq_export_imports_back_with_the_same_keys(client, falcon, people, tmp_path):
    deal, run = falcon[0], falcon[1]
    client.force_login(people["viewer"])
    folder = tmp_path / "export"
    folder.mkdir()
    for kind in ("facts", "gaps", "findings"):
        response = client.get(reverse("analysis:export", args=[deal.pk, kind, "json"]))
        (folder / f"{kind}.json").write_bytes(b"".join(response.streaming_content))
    other = make_deal("Project Falcon (copy)")
    output = run_command(other, folder)
    imported = other.runs.get()
    assert imported.model == "DealIQ export" and "MISMATCH" not in output and "\nrejected " not in output
    for model in (Fact.objects, Gap.objects, Finding.objects):
        original = set(model.for_run(run).values_list("key", flat=True))
        assert set(model.for_run(imported).values_list("key", flat=True)) == original
        assert set(model.for_run(imported).values_list("legacy_id", flat=True)) == original
    assert set(Fact.objects.for_run(imported).values_list("evidence", flat=True)) == set(
        Fact.objects.for_run(run).values_list("evidence", flat=True))


def test_unreadable_input_is_a_clear_error_and_stores_nothing(tmp_path):
    deal = make_deal("Project Merlin")
    bad = tmp_path / "broken.json"
    bad.write_text('{"facts": [', encoding="utf-8")
    with pytest.raises(CommandError, match=r"cannot import .*broken.json: broken.json: not valid JSON"):
        run_command(deal, bad)
    odd = tmp_path / "odd.json"
    odd.write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(CommandError, match="without a DealIQ 'kind'/'items' nor lists named"):
        run_command(deal, odd)
    with pytest.raises(CommandError, match="no deal 'Nope'"):
        call_command("import_analysis", "Nope", str(odd))
    assert not deal.runs.exists()
