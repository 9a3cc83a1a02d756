"""Pure parts of the deliverables: VDR questions and clean document lists, the checklist's source check,
and reading legacy analyses (costs, aliases, ids, rejections)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dealiq import checklist
from dealiq.analysis_import import ImportFormatError, parse_analysis, read_sources
from dealiq.domains import DOMAIN_KEYS
from dealiq.rules import RuleError
from dealiq.vdr import clean_sources, gap_topic, request_question

RULES = Path(checklist.__file__).parent / "rules"


def test_every_checklist_source_is_a_whole_document_name():
    for domain in DOMAIN_KEYS:
        for topic in checklist.checklist_topics(domain):
            for source in topic.suggested_sources:
                assert source.count("(") == source.count(")"), (topic.id, source)
    inventory = checklist.checklist_topic("applications", "application_inventory")
    assert inventory.suggested_sources == ("Application inventory (name, vendor, version, hosting, owner, users, criticality)",)


def test_an_unquoted_source_list_that_splits_parentheses_is_refused(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "checklist.yaml"
    text = path.read_text(encoding="utf-8").replace(
        '    sources:\n      - "Application inventory (name, vendor, version, hosting, owner, users, criticality)"',
        "    sources: [Application inventory (name, vendor)]", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match="unbalanced parentheses"):
        checklist.checklist_topics("applications", rules_dir=str(rules))


def test_fragments_of_old_runs_are_joined_back():
    assert clean_sources(["Application inventory (name", "vendor", "version)", "Licence list", "Licence list", " "]) == [
        "Application inventory (name, vendor, version)", "Licence list"]


@pytest.mark.parametrize("domain,category,description,question", [
    ("infrastructure", "dr_test_results", "Disaster recovery test results (date, scope, RTO/RPO achieved): not found in the target's documents",
     "Could you please provide the disaster recovery test results (date, scope, RTO/RPO achieved)?"),
    ("applications", "erp_landscape", "ERP landscape (systems, clients, company codes, customisation): not found in the target's documents",
     "Could you please provide the ERP landscape (systems, clients, company codes, customisation)?"),
    ("cybersecurity", "pen_test_custom", "No penetration test report", "Could you please provide the penetration test report?"),
    ("infrastructure", "dr_test_results", "Disaster recovery test results (date, scope, RTO/RPO achieved): answered only with a placeholder (“DR test: TBD”, dr.txt p.2)",
     "The documents give only a placeholder for the disaster recovery test results (date, scope, RTO/RPO achieved) (“DR test: TBD”, dr.txt p.2): could you please provide it?"),
])
def test_a_gap_reads_as_a_question_to_the_seller(domain, category, description, question):
    assert request_question(domain, category, description) == question
    assert "not found" not in gap_topic(domain, category, description)


def test_legacy_costs_phases_and_ids_are_read_and_bad_entries_rejected_with_reasons():
    sources = [
        ("risks.json", [
            {"risk_id": "R-1", "domain": "INFRA", "title": "A", "severity": "Moderate", "phase": "Day 100", "cost": "€1.5m – €2m"},
            {"risk_id": "R-2", "domain": "network", "title": "B", "severity": "high", "phase": "long-term", "cost": "$50k-100"},
            {"risk_id": "R-3", "domain": "network", "title": "C", "severity": "high", "phase": "soon"},
            {"risk_id": "R-4", "domain": "network", "title": "D", "cost_low": 10, "cost_high": 5},
            "not an object",
        ]),
        ("legacy.json", {"facts": [{"fact_id": "F-BYR-IAM-007", "category": "idp", "item": "Okta",
                                    "evidence": {"exact_quote": "SSO is Okta.", "source_section": "pp. 12-13"}}]}),
    ]
    parsed = parse_analysis(sources, {})
    by_id = {e.legacy_id: e for e in parsed.entries}
    one, two = by_id["R-1"].item, by_id["R-2"].item
    assert (one.domain, one.severity, one.phase, one.cost_low, one.cost_high, one.currency) == (
        "infrastructure", "medium", "100_day", 1_500_000, 2_000_000, "EUR")
    assert (two.phase, two.cost_low, two.cost_high, two.currency) == ("long_term", 50_000, 100_000, "USD")
    assert by_id["R-3"].error == "unknown phase 'soon'"
    assert by_id["R-4"].error == "cost low 10 is above cost high 5"
    assert by_id["risks.json#5"].error == "not a JSON object"
    okta = by_id["F-BYR-IAM-007"].item
    assert (okta.entity, okta.domain, okta.pages, okta.document_id) == ("buyer", "identity_access", [12], None)
    assert parsed.layout == "legacy lists"


def test_unreadable_files_raise_a_clear_error(tmp_path):
    with pytest.raises(ImportFormatError, match="no such file or folder"):
        read_sources(tmp_path / "missing.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFormatError, match="no .json file in this folder"):
        read_sources(tmp_path / "empty")
    (tmp_path / "things.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="neither its name nor its items"):
        parse_analysis(read_sources(tmp_path / "things.json"))
