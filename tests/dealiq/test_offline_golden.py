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

# Two changes moved these on purpose. Tables read as tables and self-stated gaps (docs/engine.md): one fact
# per inventory row no rule names; gaps quoting "not documented", "out of scope", a TBD contract end date
# and two CSV rows whose unquoted commas give them an extra field (no longer paired with the wrong headers,
# so a wrong contract end date is gone); the firewall rule-base review topic. The deal-level layer: the
# buyer's integration rules are facts; end of life is one risk per platform family (not a risk plus a work
# item per release), a seller dependency one risk plus one separation item, a control gap one costed risk,
# a contract one risk (end date and change of control together), conflicting figures one risk; certification
# gaps one finding per entity; access reviews not performed since 2023 a risk of their own.
# Then (rules-1.3) on purpose: a claim or release stated by a second document is a fact of its own, with
# its source (+2 applications, +1 infrastructure, +2 cybersecurity, +1 network facts); the two CSV rows with
# an extra field are records named by their values, never paired with the headers (+1 applications,
# +1 infrastructure); the two application contracts ending near close are one risk (findings 14 → 13).
# Then (rules-1.4) on purpose: the incident register topic is answered by a register or an incident log,
# not by a paragraph describing one incident; the sample target describes a BEC but supplies no register,
# so it is a gap (cybersecurity gaps 9 → 10). Two counts in conflict (Windows Server 2012 R2, IT staff) add
# one recommendation to reconcile the data room's counts, and the key-person risk its retention work item
# (organization findings 5 → 7). The end-user device topic is answered by an inventory or a stated count,
# not by "EDR on all endpoints": the buyer's documents state none (infrastructure gaps 7 → 8).
GOLDEN_COUNTS = {
    "applications": {"facts": 45, "gaps": 9, "findings": 13},
    "infrastructure": {"facts": 32, "gaps": 8, "findings": 10},
    "cybersecurity": {"facts": 21, "gaps": 10, "findings": 8},
    "identity_access": {"facts": 23, "gaps": 5, "findings": 8},
    "network": {"facts": 29, "gaps": 5, "findings": 9},
    "organization": {"facts": 22, "gaps": 8, "findings": 7},
}

MUST_FIND = {
    # end of life: one remediation item per platform family, with the counts the documents give
    ("infrastructure", "risk", "End-of-support Windows Server estate"),
    ("infrastructure", "risk", "End-of-support SQL Server estate"),
    ("infrastructure", "risk", "End-of-support VMware vSphere estate"),
    ("network", "risk", "End-of-support PAN-OS estate"),
    ("applications", "recommendation", "Plan the replacement of SAP ECC before end of support"),
    # carve-out separation
    ("identity_access", "risk", "Day-1 dependency on the seller: Active Directory forest"),
    ("applications", "risk", "Day-1 dependency on the seller: ERP instance"),
    ("identity_access", "work_item", "Separate the Active Directory forest from the seller"),
    ("applications", "work_item", "Separate the ERP instance from the seller"),
    ("network", "work_item", "Separate the WAN and network services from the seller"),
    ("infrastructure", "work_item", "Separate the data centre and hosting from the seller"),
    # controls, people, contracts
    ("identity_access", "risk", "Multi-factor authentication is incomplete"),
    ("cybersecurity", "risk", "EDR coverage is incomplete"),
    # the target's missing SIEM is the onboarding onto the buyer's SOC (one finding per risk)
    ("cybersecurity", "work_item", "Onboard the target onto the buyer's SOC and security tooling"),
    ("organization", "risk", "Key-person dependency: Marek Duda"),
    ("organization", "risk", "Contract ends near close: Calderon IT Services"),
    # contracts of one domain ending near close: one risk naming each party
    ("applications", "risk", "Contracts end near close: Salesforce, Siemens"),
    # integration with the buyer
    ("applications", "work_item", "Integrate ERP: target on SAP ECC, buyer on SAP S/4HANA"),
    ("identity_access", "work_item", "Integrate identity provider / SSO: target on AD FS (on-premises federation), buyer on Okta"),
    ("network", "work_item", "Resolve overlapping IP ranges between target and buyer"),
    # custom software on an unsupported runtime
    ("applications", "risk", "Custom application on unsupported technology: FlowCalc"),
    # contradictions
    ("infrastructure", "risk", "Conflicting figures: Windows Server 2012 R2 count (target)"),
    ("organization", "risk", "Conflicting figures: IT staff (FTE) (target)"),
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
    [conflict] = [f for f in analysis.findings if f.title.startswith("Conflicting figures: Windows Server 2012 R2")]
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
    assert costed and all(f.details["cost_assumptions"] for f in costed)
    # One finding per remediation carries its cost: no risk is priced beside a work item for the same thing.
    titles = {f.title for f in costed}
    assert not {"Multi-factor authentication is incomplete", "Roll out MFA to all users and administrators"} <= titles


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
