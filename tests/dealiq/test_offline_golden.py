"""Golden test: the bundled sample data room (samples/sample-deal) through the whole offline analysis.

When a rule change moves these numbers on purpose, run `python -m dealiq.engines.offline.runner
samples/sample-deal`, check the new findings make sense, and update GOLDEN_COUNTS.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dealiq.domains import DOMAIN_KEYS
from dealiq.engines.offline import OfflineEngine
from dealiq.engines.offline.runner import analyse, read_dataroom
from dealiq.grounding import normalise_text
from dealiq.schemas import SourcePage

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "sample-deal"

# Tables read as tables and self-stated gaps (docs/engine.md) added: one fact per inventory row no rule
# names (the IT team table's people, platform rows); gaps quoting "not documented", "out of scope", a
# TBD contract end date and the two CSV rows whose unquoted commas give them an extra field (they were
# silently paired with the wrong headers before: "Contract: Microsoft …, ends 2024-07-01" read the start
# date as the end date, so that wrong fact is gone); the firewall rule-base review checklist topic (new,
# unanswered in both rooms); the projects and interfaces tables' rows as facts.
GOLDEN_COUNTS = {
    "applications": {"facts": 42, "gaps": 9, "findings": 18},
    "infrastructure": {"facts": 30, "gaps": 7, "findings": 20},
    "cybersecurity": {"facts": 18, "gaps": 9, "findings": 12},
    "identity_access": {"facts": 23, "gaps": 5, "findings": 11},
    "network": {"facts": 27, "gaps": 5, "findings": 12},
    "organization": {"facts": 22, "gaps": 8, "findings": 7},
}

MUST_FIND = {
    # end of life, with the counts the documents give
    ("infrastructure", "risk", "Windows Server 2012 R2 is past end of support"),
    ("infrastructure", "work_item", "Upgrade or replace Windows Server 2012 R2"),
    ("infrastructure", "risk", "SQL Server 2014 SP3 is past end of support"),
    ("infrastructure", "risk", "VMware ESXi 6.7 is past end of support"),
    ("network", "risk", "PAN-OS 9.1 is past end of support"),
    ("applications", "recommendation", "Plan the move off SAP ECC 6.0 EHP 7 (end of support 2027-12-31)"),
    # carve-out separation
    ("identity_access", "work_item", "TSA: Active Directory forest provided by the seller"),
    ("identity_access", "work_item", "Separate the Active Directory forest from the seller"),
    ("applications", "work_item", "Separate the ERP instance from the seller"),
    ("network", "work_item", "TSA: WAN and network services provided by the seller"),
    ("infrastructure", "work_item", "Separate the data centre and hosting from the seller"),
    # controls, people, contracts
    ("identity_access", "risk", "Multi-factor authentication is incomplete"),
    ("cybersecurity", "risk", "EDR coverage is incomplete"),
    ("cybersecurity", "risk", "Security monitoring (SIEM / SOC) is missing"),
    ("organization", "risk", "Key-person dependency: Marek Duda"),
    ("organization", "risk", "Contract ends near close: Calderon IT Services"),
    ("applications", "risk", "Contract ends near close: Siemens"),
    # integration with the buyer
    ("applications", "work_item", "Integrate ERP: target on SAP ECC, buyer on SAP S/4HANA"),
    ("identity_access", "work_item", "Integrate identity provider / SSO: target on AD FS (on-premises federation), buyer on Okta"),
    ("network", "work_item", "Resolve overlapping IP ranges between target and buyer"),
    # contradictions
    ("infrastructure", "recommendation", "Reconcile conflicting figures: Windows Server 2012 R2 count (target)"),
    ("organization", "recommendation", "Reconcile conflicting figures: IT staff (FTE) (target)"),
}


@pytest.fixture(scope="module")
def dataroom():
    return read_dataroom(SAMPLE)


@pytest.fixture(scope="module")
def analysis(dataroom):
    deal, pages = dataroom
    return analyse(OfflineEngine(), deal, pages)


def test_sample_deal_metadata(dataroom):
    deal, pages = dataroom
    assert (deal.deal_type, deal.reference_date.isoformat()) == ("carve_out", "2026-11-23")
    assert len({p.document_id for p in pages if p.entity == "target"}) >= 6
    assert len({p.document_id for p in pages if p.entity == "buyer"}) >= 3
    assert all(p.filename.endswith((".md", ".txt", ".csv")) for p in pages)


def test_golden_counts_per_domain(analysis):
    assert analysis.counts_by_domain() == GOLDEN_COUNTS


def test_every_domain_has_facts_gaps_and_findings(analysis):
    for domain, counts in analysis.counts_by_domain().items():
        assert counts["facts"] and counts["gaps"] and counts["findings"], domain


def test_expected_findings_are_there(analysis):
    found = {(f.domain, f.finding_type, f.title) for f in analysis.findings}
    assert MUST_FIND <= found, sorted(MUST_FIND - found)


def test_every_finding_links_facts_of_the_analysis(analysis):
    keys = {f.key for f in analysis.facts}
    for finding in analysis.findings:
        assert finding.links, finding.title
        assert {link.fact_key for link in finding.links} <= keys, finding.title
        assert finding.reasoning and finding.description


def test_every_fact_is_quoted_verbatim_from_its_page(analysis, dataroom):
    _, pages = dataroom
    text = {(p.document_id, p.page_number): p.text for p in pages}
    assert analysis.dropped_ungrounded == 0
    for fact in analysis.facts:
        page_text = " ".join(text[(fact.document_id, n)] for n in fact.pages)
        assert normalise_text(fact.evidence) in normalise_text(page_text), fact.item


def test_the_server_count_contradiction_is_reported_with_contradicts_links(analysis):
    [conflict] = [f for f in analysis.findings if f.title.startswith("Reconcile conflicting figures: Windows Server 2012 R2")]
    facts = {f.key: f for f in analysis.facts}
    assert [l.link_type for l in conflict.links] == ["contradicts", "contradicts"]
    assert sorted(facts[l.fact_key].item for l in conflict.links) == [
        "Windows Server 2012 R2: 40 servers",
        "Windows Server 2012 R2: 46 servers",
    ]


def test_placeholder_answers_become_gaps(analysis):
    placeholders = {(g.domain, g.category) for g in analysis.gaps if g.entity == "target" and "placeholder" in g.description}
    assert {
        ("infrastructure", "dr_test_results"),
        ("cybersecurity", "soc2_report"),
        ("cybersecurity", "incident_response"),
        ("network", "network_diagram"),
        ("organization", "tsa_schedule"),
    } <= placeholders


def test_costs_roll_up_by_domain_and_phase(analysis):
    table = analysis.cost_roll_up()
    for domain in DOMAIN_KEYS:
        assert table[domain]["total"][0] > 0, domain
    assert {"day_1", "tsa", "100_day", "long_term"} <= set(table["total"])
    assert all(low > 0 and high >= low for phase, (low, high) in table["total"].items())
    costed = [f for f in analysis.findings if f.cost_low is not None]
    assert costed and all(f.finding_type == "work_item" and f.details["cost_assumptions"] for f in costed)


def test_the_hidden_instruction_changes_nothing(analysis, dataroom):
    deal, pages = dataroom
    assert any("ignore previous instructions" in p.text.lower() for p in pages)
    cleaned = [
        SourcePage(p.document_id, p.page_number, "\n".join(l for l in p.text.splitlines() if "ignore previous instructions" not in l.lower()), p.filename, p.entity)
        for p in pages
    ]
    again = analyse(OfflineEngine(), deal, cleaned)
    assert [f.key for f in again.findings] == [f.key for f in analysis.findings]
    assert [f.key for f in again.facts] == [f.key for f in analysis.facts]


def test_analysing_twice_gives_identical_keys_and_order(analysis, dataroom):
    deal, pages = dataroom
    again = analyse(OfflineEngine(), deal, pages)
    for attribute in ("facts", "gaps", "findings"):
        assert [x.key for x in getattr(again, attribute)] == [x.key for x in getattr(analysis, attribute)]
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in analysis.findings]
