"""Reasoning on small texts, as a run does it (the engine's domain rules, then the deal-level layer):
end of life, separation, controls, people, contracts, integration, contradictions, IP overlap, the cost
model and determinism. The layer's own tests, on wordings of their own, are in test_deal_reasoning.py."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from dealiq.engines.offline import OfflineEngine, fact_records, roll_up
from dealiq.reasoning import combine, reason_deal
from dealiq.schemas import FactRecord, ReasoningRequest

from . import REFERENCE_DATE, deal, discover


@pytest.fixture(scope="module")
def engine():
    return OfflineEngine()


def reason(engine, domain, target=(), buyer=(), deal_type="carve_out", reference_date=REFERENCE_DATE, shuffle=False):
    facts = []
    for entity, texts in (("target", target), ("buyer", buyer)):
        if texts:
            facts.extend(discover(engine, domain, *texts, entity=entity, deal_type=deal_type, reference_date=reference_date).facts)
    records = fact_records(facts)
    if shuffle:
        random.Random(7).shuffle(records)
    request = ReasoningRequest(deal=deal(deal_type, reference_date), domain=domain, facts=records, gaps=[])
    return combine(engine.reason(request).findings, reason_deal(request.deal, records)), records


def by_title(findings):
    return {f.title: f for f in findings}


def test_past_eol_product_gives_one_costed_risk(engine):
    findings, records = reason(engine, "infrastructure", target=["We run 40 servers on Windows Server 2012 R2."])
    [work] = findings
    assert work.title == "End-of-support Windows Server estate"
    assert (work.finding_type, work.severity) == ("risk", "high")  # extended support also ended
    assert "2023-10-10" in work.description and "2026-11-23" in work.reasoning and "40 servers" in work.description
    assert (work.phase, work.cost_low, work.cost_high) == ("100_day", 40 * 3000, 40 * 8000)
    [assumption] = work.details["cost_assumptions"]
    assert assumption["item"] == "server_os_upgrade" and assumption["quantity"] == 40
    assert {link.fact_key for link in work.links} == {records[0].key}


def test_internet_facing_eol_is_day_1_and_high(engine):
    findings, _ = reason(engine, "network", target=["Perimeter: PAN-OS 9.1 on 2 firewalls."])
    work = by_title(findings)["End-of-support PAN-OS estate"]
    assert (work.severity, work.phase) == ("critical", "day_1")  # internet-facing, no vendor fixes at all
    assert work.cost_low == 2 * 5000


def test_eol_windows_relative_to_the_reference_date(engine):
    soon, _ = reason(engine, "infrastructure", target=["Backups: Veeam v12 on 1 server."], reference_date=dt.date(2026, 6, 1))
    [work] = soon
    assert work.title == "End-of-support Veeam B&R estate" and work.severity == "medium"
    assert "support ends 2027-02-01, 8 months after completion" in work.description
    horizon, _ = reason(engine, "applications", target=["ERP: SAP ECC 6.0 EhP7."])
    [recommendation] = horizon
    assert recommendation.finding_type == "recommendation" and recommendation.phase == "long_term"
    assert "2027-12-31" in recommendation.description and "2030-12-31" in recommendation.description


def test_buyer_products_do_not_raise_eol_findings(engine):
    findings, _ = reason(engine, "infrastructure", buyer=["Legacy: 4 servers on Windows Server 2012 R2."])
    assert findings == []


def test_shared_assets_in_a_carve_out_need_a_tsa_and_separation(engine):
    target = ["All 1,450 user accounts sit in the Group's Active Directory forest (halvorsen.local)."]
    findings, records = reason(engine, "identity_access", target=target)
    found = by_title(findings)
    separation = found["Separate the Active Directory forest from the seller"]
    risk = found["Day-1 dependency on the seller: Active Directory forest"]
    assert risk.severity == "critical"  # identity shared with the seller, no separation plan in the room
    assert separation.phase == "tsa" and separation.details["cost_assumptions"][0]["low"] == 12 * 5000
    assert separation.details["cost_assumptions"][1]["quantity"] == 1450
    supports = [link for link in separation.links if link.link_type == "supports"]
    assert [l.fact_key for l in supports] == [r.key for r in records if r.item == "User accounts: 1,450"]


def test_shared_assets_do_not_matter_in_an_acquisition(engine):
    findings, _ = reason(engine, "identity_access", target=["Users sit in the Group's Active Directory forest."], deal_type="acquisition")
    assert not [f for f in findings if "seller" in f.title]


@pytest.mark.parametrize(
    "domain, text, title, severity",
    [
        ("identity_access", "MFA: enforced for VPN only (62% of accounts).", "Multi-factor authentication is incomplete", "high"),
        ("identity_access", "There is no MFA for administrators or remote access.", "Multi-factor authentication is missing", "high"),
        ("cybersecurity", "EDR: Defender for Endpoint on 71% of laptops.", "EDR coverage is incomplete", "medium"),
        ("cybersecurity", "No SIEM is in place.", "Security monitoring (SIEM / SOC) is missing", "high"),
        ("infrastructure", "There are no backups of the plant servers.", "Backups are missing", "critical"),
        ("cybersecurity", "Last penetration test: March 2024.", "Penetration testing is out of date", "medium"),
    ],
)
def test_missing_or_partial_controls_are_risks(engine, domain, text, title, severity):
    findings, _ = reason(engine, domain, target=[text])
    assert by_title(findings)[title].severity == severity


def test_mfa_rollout_is_priced_for_the_uncovered_share(engine):
    findings, _ = reason(engine, "identity_access", target=["MFA: enforced for VPN only (60% of accounts).", "1,000 user accounts in AD."])
    work = by_title(findings)["Multi-factor authentication is incomplete"]  # the risk carries its fix's cost
    assert work.details["cost_assumptions"][0]["quantity"] == 400
    assert (work.cost_low, work.cost_high) == (400 * 30, 400 * 90)


def test_a_control_in_place_gives_no_finding(engine):
    findings, _ = reason(engine, "identity_access", target=["MFA is enforced for all users."])
    assert findings == []


def test_key_person_dependency(engine):
    findings, _ = reason(engine, "organization", target=["Marek Duda is the only developer of FlowCalc."])
    found = by_title(findings)
    assert found["Key-person dependency: Marek Duda"].severity == "high"


def test_contracts_ending_within_6_months_of_close(engine):
    rows = [
        "Supplier: Calderon IT Services; Service: Service desk; End date: 2027-02-28; Notice period: 90 days",
        "Supplier: Fjord Print; Service: Printer fleet; End date: 2027-12-31",
    ]
    findings, _ = reason(engine, "organization", target=rows)
    [finding] = findings
    assert finding.title == "Contract ends near close: Calderon IT Services"
    assert "2027-02-28" in finding.description and "notice period 90 days" in finding.description


def test_different_platforms_for_the_same_function_are_integration_work(engine):
    findings, records = reason(
        engine,
        "identity_access",
        target=["Single sign-on uses AD FS.", "1,450 user accounts in Active Directory."],
        buyer=["Okta is the identity provider."],
    )
    work = by_title(findings)["Integrate identity provider / SSO: target on AD FS (on-premises federation), buyer on Okta"]
    assert work.finding_type == "work_item" and work.details["cost_assumptions"][0]["quantity"] == 1450
    linked = {l.fact_key for l in work.links if l.link_type == "triggers"}
    assert {r.entity for r in records if r.key in linked} == {"target", "buyer"}


def test_same_platform_on_both_sides_is_not_integration_work(engine):
    findings, _ = reason(engine, "applications", target=["CRM: Salesforce."], buyer=["CRM: Salesforce Sales Cloud."])
    assert not [f for f in findings if f.title.startswith("Integrate")]


def test_erp_divergence_from_catalogue_products(engine):
    findings, _ = reason(engine, "applications", target=["ERP: SAP ECC 6.0 EhP7."], buyer=["ERP: SAP S/4HANA 2023."])
    assert "Integrate ERP: target on SAP ECC, buyer on SAP S/4HANA" in by_title(findings)


def test_contradicting_figures_are_linked_as_contradictions(engine):
    findings, records = reason(
        engine, "infrastructure", target=["46 servers on Windows Server 2012 R2.", "Operating system: W2K12R2; Servers: 40"]
    )
    found = by_title(findings)
    conflict = found["Conflicting figures: Windows Server 2012 R2 count (target)"]
    assert [l.link_type for l in conflict.links] == ["contradicts", "contradicts"]
    assert {l.fact_key for l in conflict.links} == {r.key for r in records}
    assert "40 (doc2.md p.1), 46 (doc1.md p.1)" in conflict.description
    work = found["End-of-support Windows Server estate"]
    assert (work.cost_low, work.cost_high) == (40 * 3000, 46 * 8000)  # the range, not one figure


def test_overlapping_ip_ranges(engine):
    findings, _ = reason(engine, "network", target=["Aarhus uses 10.40.0.0/16."], buyer=["Europe uses 10.40.0.0/14."])
    assert "Resolve overlapping IP ranges between target and buyer" in by_title(findings)
    disjoint, _ = reason(engine, "network", target=["Aarhus uses 10.40.0.0/16."], buyer=["Europe uses 172.16.0.0/12."])
    assert disjoint == []


def test_every_finding_links_a_known_fact_and_unknown_links_are_dropped(engine):
    findings, records = reason(engine, "infrastructure", target=["40 servers on Windows Server 2012 R2."])
    known = {r.key for r in records}
    assert findings and all(f.links and {l.fact_key for l in f.links} <= known for f in findings)
    stray = FactRecord("not-a-saved-fact", "target", "infrastructure", "operating_system", "RHEL 7", {"product": "rhel", "cycle": "7"}, "RHEL 7")
    findings = reason_deal(deal(), [stray])
    assert findings and all({l.fact_key for l in f.links} == {stray.key} for f in findings)


def test_facts_from_another_engine_without_details_are_matched_by_item(engine):
    fact = FactRecord("k1", "target", "infrastructure", "os", "Windows Server 2012 R2 (12 servers)", {}, "12 servers on Windows Server 2012 R2")
    findings = reason_deal(deal(), [fact])
    assert "12 servers" in by_title(findings)["End-of-support Windows Server estate"].description


def test_reasoning_does_not_depend_on_fact_order(engine):
    texts = ["46 servers on Windows Server 2012 R2.", "SQL 2014 SP3 (9).", "Operating system: W2K12R2; Servers: 40", "ESXi 6.7: 8 hosts."]
    first, _ = reason(engine, "infrastructure", target=texts)
    second, _ = reason(engine, "infrastructure", target=texts, shuffle=True)
    assert [(f.key, f.description, [(l.fact_key, l.link_type) for l in f.links]) for f in first] == [
        (f.key, f.description, [(l.fact_key, l.link_type) for l in f.links]) for f in second
    ]


def test_cost_roll_up_by_domain_and_phase(engine):
    infra, _ = reason(engine, "infrastructure", target=["40 servers on Windows Server 2012 R2."])
    network, _ = reason(engine, "network", target=["PAN-OS 9.1 on 2 firewalls."])
    table = roll_up(infra + network)
    assert table["infrastructure"]["100_day"] == (120000, 320000)
    assert table["network"]["day_1"] == (10000, 30000)
    assert table["total"]["total"] == (130000, 350000)


def test_the_targets_siem_gap_is_the_onboarding_item_when_the_buyer_runs_a_soc(engine):
    """One finding per risk: with a buyer SOC to move onto, the missing SIEM is the deal layer's onboarding
    work item; without one it stays a risk."""
    for wording in ("No SIEM is in place.", "There is no SIEM; firewall logs are kept for 30 days."):
        alone, _ = reason(engine, "cybersecurity", target=[wording], deal_type="acquisition")
        assert "Security monitoring (SIEM / SOC) is missing" in by_title(alone)
        both, _ = reason(engine, "cybersecurity", target=[wording], deal_type="acquisition",
                         buyer=["Our SIEM is Splunk Enterprise Security, monitored by a 24x7 in-house SOC."])
        found = by_title(both)
        assert "Security monitoring (SIEM / SOC) is missing" not in found
        assert "no security monitoring" in found["Onboard the target onto the buyer's SOC and security tooling"].description


@pytest.mark.parametrize("text", [
    "There is no periodic user access review.",
    "User access reviews have not been performed since 2023.",
])
def test_missing_access_reviews_are_one_access_governance_risk(engine, text):
    findings, _ = reason(engine, "identity_access", target=[text], deal_type="acquisition")
    [risk] = [f for f in findings if f.details.get("rule") == "access_governance_gap"]
    assert risk.finding_type == "risk" and risk.title.startswith("Access reviews and leaver process are")


def test_access_reviews_in_place_give_no_access_governance_risk(engine):
    findings, _ = reason(engine, "identity_access", target=["Quarterly user access reviews are performed and documented."],
                         deal_type="acquisition")
    assert not [f for f in findings if f.details.get("rule") == "access_governance_gap"]
