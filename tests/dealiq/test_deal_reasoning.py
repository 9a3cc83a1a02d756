"""The deal-level reasoning layer (dealiq.reasoning) on facts written for these tests, in several
wordings per rule and mostly in the free form a model extracts (category, item, evidence and
name/value details, no offline rule ids), so no rule is tied to the sample deal's phrasing."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from dealiq.reasoning import reason_deal
from dealiq.schemas import FactRecord

from . import deal

REF = dt.date(2026, 11, 23)


def fact(entity, domain, category, item, evidence, doc=1, **details) -> FactRecord:
    """A fact as the Claude engine returns it: free-form category and details, a quote, a document."""
    key = f"{entity}-{domain}-{category}-{item}-{doc}"
    return FactRecord(key, entity, domain, category, item, {"source_file": f"doc{doc}.pdf", **details}, evidence, doc, (1,))


def titles(findings):
    return {f.title: f for f in findings}


def link_types(finding):
    return {l.fact_key: l.link_type for l in finding.links}


# -- dates against the completion date ------------------------------------------------------------------


@pytest.mark.parametrize(
    "item, evidence, details, party",
    [
        ("Oracle database support", "Oracle database support expires on 31 January 2027.", {}, "Oracle"),
        ("Service desk outsourcing", "Managed service desk agreement.", {"supplier": "Nordic Desk AS", "expiry": "28/02/2027"}, "Nordic Desk AS"),
        ("Network maintenance contract", "Cisco SmartNet maintenance runs until March 2027.", {}, "Cisco SmartNet"),
        ("Contact centre", "Our agreement with Five9 comes up for renewal on 30 April 2027.", {}, "Five9"),
        ("ERP hosting agreement", "Hosting agreement with DataHall ends 2026-10-31 (rolling monthly since).", {"party": "DataHall"}, "DataHall"),
    ],
)
def test_contracts_ending_around_completion_are_risks_in_any_wording(item, evidence, details, party):
    contract = fact("target", "applications", "contracts", item, evidence, **details)
    [finding] = reason_deal(deal("acquisition", REF), [contract])
    assert finding.title == f"Contract ends near close: {party}"
    assert finding.finding_type == "risk" and finding.phase == "day_1"
    assert "2026-11-23" in finding.description and link_types(finding) == {contract.key: "triggers"}


def test_a_contract_ending_years_after_completion_is_not_a_finding():
    far = fact("target", "network", "contract", "WAN contract", "The WAN contract with Telia expires on 30 June 2029.")
    assert reason_deal(deal("acquisition", REF), [far]) == []
    party_unknown = fact("target", "network", "contract", "WAN", "the contract expires on 2027-01-31.")
    assert reason_deal(deal("acquisition", REF), [party_unknown]) == []  # no one to call: a gap, not a finding


def test_a_contract_ending_within_3_months_is_high_and_one_later_medium():
    soon = fact("target", "applications", "licence", "CAD licences", "Autodesk licence subscription renews on 2027-01-15.")
    later = fact("target", "applications", "licence", "PLM licences", "The PTC Windchill licence renews on 2027-05-15.", doc=2)
    assert titles(reason_deal(deal("acquisition", REF), [soon]))["Contract ends near close: Autodesk"].severity == "high"
    assert titles(reason_deal(deal("acquisition", REF), [later]))["Contract ends near close: PTC Windchill"].severity == "medium"
    # both in one domain: one risk (an analyst writes it once), as severe as the most urgent, each end date in it
    found = titles(reason_deal(deal("acquisition", REF), [soon, later]))
    both = found["Contracts end near close: Autodesk, PTC Windchill"]
    assert both.severity == "high" and "2027-01-15" in both.description and "2027-05-15" in both.description
    plan = found["Renewal plan for contracts ending around completion"]
    assert plan.finding_type == "work_item" and "Autodesk (2027-01-15); PTC Windchill (2027-05-15)" in plan.description


def test_two_documents_giving_one_contract_different_end_dates_are_linked_as_contradicting():
    register = fact("target", "network", "contract", "MPLS", "MPLS WAN", doc=1, supplier="Lumen", service="MPLS WAN, 14 sites", end_date="2028-09-30")
    email = fact("target", "network", "email", "MPLS", "Reminder: the Lumen MPLS contract ends 2027-01-31 and we have not renewed.", doc=2)
    [finding] = [f for f in reason_deal(deal("acquisition", REF), [register, email]) if f.title.endswith("Lumen")]
    assert finding.domain == "network" and set(link_types(finding).values()) == {"contradicts"}
    assert "2027-01-31, 2028-09-30" in finding.description


@pytest.mark.parametrize(
    "tsa_text, rule_text, system",
    [
        ("The seller will provide SAP hosting under a TSA for 12 months after closing.",
         "Acquired companies migrate their ERP onto our S/4HANA platform within 24 months.", "ERP"),
        ("Transitional services: e-mail and Microsoft 365 tenant, term 6 months.",
         "Mailboxes of new businesses are moved to our tenant in 9 months.", "email"),
        ("A transitional service agreement covers the service desk for 1 year.",
         "Service desk consolidation onto our ServiceNow is completed within 18 months of completion.", "service desk"),
    ],
)
def test_a_tsa_shorter_than_the_buyers_migration_rule_is_a_risk(tsa_text, rule_text, system):
    tsa = fact("target", "organization", "tsa", "TSA", tsa_text)
    rule = fact("buyer", "organization", "integration_policy", "Integration rule", rule_text, doc=5)
    findings = reason_deal(deal("carve_out", REF), [tsa, rule])
    [finding] = [f for f in findings if f.details["rule"] == "tsa_shorter_than_migration"]
    assert finding.title.startswith("TSA term shorter than the buyer's migration timeline") and system in finding.title
    assert finding.severity in ("critical", "high") and finding.phase == "tsa"
    assert link_types(finding) == {tsa.key: "triggers", rule.key: "supports"}


def test_a_tsa_that_outlasts_the_migration_is_fine():
    tsa = fact("target", "organization", "tsa", "TSA", "ERP services are covered by a TSA for 24 months.")
    rule = fact("buyer", "organization", "policy", "Rule", "We migrate acquired ERP systems within 12 months.", doc=5)
    findings = reason_deal(deal("carve_out", REF), [tsa, rule])
    assert findings and not [f for f in findings if f.details["rule"] == "tsa_shorter_than_migration"]
    assert {f.title for f in findings} >= {"Day-1 dependency on the seller: ERP instance"}  # a TSA is still a dependency


# -- address space -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target_text, buyer_text",
    [
        ("Office LAN addressing: 192.168.0.0/16 across all sites.", "Head office VLAN 192.168.10.0/24."),
        ("Plant networks use 10.0.0.0/8 (flat).", "Data centre range 10.20.0.0/16 routed over MPLS."),
        ("VPN pool 172.16.4.0/22", "Our remote-access pool is 172.16.0.0/12"),
    ],
)
def test_overlapping_address_ranges_from_any_fact(target_text, buyer_text):
    target = fact("target", "network", "network", "Addressing", target_text)
    buyer = fact("buyer", "infrastructure", "addressing", "Ranges", buyer_text, doc=7)
    risk, work = reason_deal(deal("merger", REF), [target, buyer])
    assert (risk.finding_type, risk.title) == ("risk", "Overlapping IP address ranges between target and buyer")
    assert (work.finding_type, work.title) == ("work_item", "Resolve overlapping IP ranges between target and buyer")
    for finding in (risk, work):
        assert finding.domain == "network" and set(link_types(finding)) == {target.key, buyer.key}


def test_disjoint_ranges_and_one_sided_ranges_give_nothing():
    target = fact("target", "network", "network", "Addressing", "Sites use 10.8.0.0/16.")
    buyer = fact("buyer", "network", "network", "Addressing", "Corporate uses 10.9.0.0/16.", doc=7)
    other = fact("target", "network", "network", "Guest", "Guest Wi-Fi 10.8.200.0/24.", doc=2)
    assert reason_deal(deal("acquisition", REF), [target, buyer, other]) == []


# -- carve-out dependencies on the seller -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, title",
    [
        ("The unit runs on the parent's SAP ECC instance (client 300).", "Day-1 dependency on the seller: ERP instance"),
        ("Finance uses the Group-wide Dynamics 365 ERP.", "Day-1 dependency on the seller: ERP instance"),
        ("All users sit in the seller's Microsoft 365 tenant.", "Day-1 dependency on the seller: Microsoft 365 / Entra ID tenant"),
        ("Windows licences are held by the parent under its enterprise agreement.", "Day-1 dependency on the seller: software licences"),
    ],
)
def test_what_a_carve_out_borrows_from_the_seller(text, title):
    shared = fact("target", "applications", "dependency", "Shared service", text)
    found = titles(reason_deal(deal("carve_out", REF), [shared]))
    assert title in found and found[title].phase == "day_1"
    assert any(t.startswith("Separate the") for t in found)


def test_a_shared_erp_without_a_separation_plan_is_critical_and_with_one_high():
    erp = fact("target", "applications", "erp", "ERP", "The business uses the parent's SAP instance.")
    plan = fact("target", "organization", "separation", "Separation", "A separation plan for ERP and identity was agreed in May.", doc=2)
    no_plan = titles(reason_deal(deal("carve_out", REF), [erp]))["Day-1 dependency on the seller: ERP instance"]
    with_plan = titles(reason_deal(deal("carve_out", REF), [erp, plan]))["Day-1 dependency on the seller: ERP instance"]
    assert (no_plan.severity, with_plan.severity) == ("critical", "high")


def test_shared_services_do_not_matter_outside_a_carve_out():
    erp = fact("target", "applications", "erp", "ERP", "The business uses the parent's SAP instance.")
    assert reason_deal(deal("acquisition", REF), [erp]) == []


# -- contradictions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim, denial",
    [
        ("MFA is enforced for all users.", "Audit: multi-factor authentication covers 62% of accounts."),
        ("Yes - MFA enabled for every remote login.", "E-mail from the IT manager: MFA is not yet enabled for the plant VPN."),
    ],
)
def test_a_claim_contradicted_by_another_document_keeps_both_sides(claim, denial):
    said = fact("target", "identity_access", "mfa", "MFA (questionnaire)", claim, doc=1)
    found = fact("target", "identity_access", "mfa", "MFA (audit)", denial, doc=2)
    [finding] = reason_deal(deal("acquisition", REF), [said, found])
    assert finding.title == "Conflicting statements on multi-factor authentication (target)"
    assert link_types(finding) == {said.key: "contradicts", found.key: "contradicts"}


def test_one_document_describing_scope_is_not_a_contradiction():
    a = fact("target", "identity_access", "mfa", "MFA VPN", "MFA is enforced for all VPN users.", doc=3)
    b = fact("target", "identity_access", "mfa", "MFA admins", "There is no MFA for domain administrators.", doc=3)
    assert reason_deal(deal("acquisition", REF), [a, b]) == []


def test_different_figures_for_the_same_subject_are_linked_both_ways():
    a = fact("target", "infrastructure", "server_inventory", "Virtual servers", "We operate 120 virtual servers.", doc=1, count="120")
    b = fact("target", "infrastructure", "server_inventory", "Virtual servers", "VM count: 134", doc=2, count="134")
    a = FactRecord(a.key + "a", *[getattr(a, n) for n in ("entity", "domain", "category", "item", "details", "evidence", "document_id", "pages")])
    [finding] = reason_deal(deal("acquisition", REF), [a, b])
    assert finding.finding_type == "risk" and "120" in finding.description and "134" in finding.description
    assert set(link_types(finding).values()) == {"contradicts"} and len(finding.links) == 2


# -- people, custom technology, buyer gates, platforms -------------------------------------------------------


@pytest.mark.parametrize(
    "text, person, severity",
    [
        ("Jana Novak is the only developer who understands the MES interfaces.", "Jana Novak", "high"),
        ("Single point of knowledge: Piet de Vries runs the payroll integration; he has resigned and leaves in January.", "Piet de Vries", "critical"),
        ("Key person: Ola Nordmann (network) - retiring in March 2027.", "Ola Nordmann", "critical"),
        ("CustomsHub | owner: Head of Customs - Gareth Lowe | maintained by one developer (D. Kowalski)", "D. Kowalski", "high"),
    ],
)
def test_key_people_and_departures(text, person, severity):
    staff = fact("target", "organization", "people", "IT staff", text)
    finding = titles(reason_deal(deal("acquisition", REF), [staff]))[f"Key-person dependency: {person}"]
    assert finding.severity == severity and finding.domain == "organization"


@pytest.mark.parametrize(
    "text",
    [
        "Quoting tool: in-house application written in VB6, maintained by one contractor.",
        "Our bespoke shop-floor portal runs on .NET Framework 3.5.",
        "Custom-built reporting app (PowerBuilder 12) used by finance.",
    ],
)
def test_custom_software_on_unsupported_technology(text):
    app = fact("target", "applications", "application", "Line-of-business application", text)
    [finding] = [f for f in reason_deal(deal("acquisition", REF), [app]) if f.domain == "applications"]
    assert finding.title.startswith("Custom application on unsupported technology") and finding.severity == "high"


def test_custom_software_on_a_supported_runtime_is_not_a_finding():
    app = fact("target", "applications", "application", "Portal", "In-house customer portal built on Java 21 and PostgreSQL 16.")
    assert reason_deal(deal("acquisition", REF), [app]) == []


@pytest.mark.parametrize(
    "rule_text, target_text, severity",
    [
        ("All acquired entities must enforce MFA before connecting to the corporate network.", "MFA is only enabled for administrators.", "critical"),
        ("EDR is mandatory on every endpoint of an acquired company.", "EDR deployed on 55% of laptops.", "high"),
    ],
)
def test_the_buyers_own_rules_applied_to_the_target(rule_text, target_text, severity):
    rule = fact("buyer", "cybersecurity", "policy", "Integration standard", rule_text, doc=9)
    state = fact("target", "cybersecurity", "mfa" if "MFA" in rule_text else "edr", "Control", target_text)
    findings = [f for f in reason_deal(deal("acquisition", REF), [rule, state]) if f.title.startswith("Target does not meet")]
    [finding] = findings
    assert finding.severity == severity and link_types(finding) == {state.key: "triggers", rule.key: "supports"}


def test_a_buyer_gate_on_supported_software_meets_an_eol_estate():
    rule = fact("buyer", "infrastructure", "policy", "Standard", "Only supported operating systems may be connected to our network.", doc=9)
    estate = fact("target", "infrastructure", "servers", "Windows Server 2008 R2 (6 servers)", "6 servers on Windows Server 2008 R2.")
    found = titles(reason_deal(deal("acquisition", REF), [rule, estate]))
    # one finding per risk: the buyer's rule is part of the end-of-support finding, not a second one
    assert not [t for t in found if t.startswith("Target does not meet")]
    finding = found["End-of-support Windows Server estate"]
    assert finding.severity == "critical" and link_types(finding) == {estate.key: "triggers", rule.key: "supports"}


def test_different_platforms_for_the_same_function_from_model_categories():
    target = fact("target", "applications", "erp", "ERP system", "Finance runs on Microsoft Dynamics NAV 2018.", product="Dynamics NAV")
    buyer = fact("buyer", "applications", "erp", "ERP system", "Group ERP is SAP S/4HANA.", doc=9, product="SAP S/4HANA")
    found = titles(reason_deal(deal("acquisition", REF), [target, buyer]))
    assert "Integrate ERP: target on Dynamics NAV, buyer on SAP S/4HANA" in found


# -- end of life, consolidated ----------------------------------------------------------------------------


def test_end_of_life_is_one_item_per_platform_family_with_counts_and_one_cost_range():
    facts = [
        fact("target", "infrastructure", "os", "Windows Server 2012 R2", "38 servers still on Windows Server 2012 R2."),
        fact("target", "infrastructure", "os", "Windows Server 2008 R2", "Legacy: 4 servers on Windows Server 2008 R2.", doc=2),
        fact("target", "infrastructure", "os", "Windows Server 2022", "Windows Server 2022: 60 servers.", doc=2),
        fact("target", "infrastructure", "database", "SQL Server 2012", "SQL Server 2012 (5 instances)"),
    ]
    found = titles(reason_deal(deal("acquisition", REF), facts))
    windows = found["End-of-support Windows Server estate"]
    assert "38 servers" in windows.description and "4 servers" in windows.description and "2022" not in windows.description
    assert windows.cost_low and windows.cost_high > windows.cost_low and len(windows.links) == 2
    assert "End-of-support SQL Server estate" in found and len(found) == 2


def test_a_buyer_estate_counts_only_in_a_merger():
    legacy = fact("buyer", "infrastructure", "os", "Windows Server 2012 R2", "12 servers on Windows Server 2012 R2.")
    assert reason_deal(deal("acquisition", REF), [legacy]) == []
    [finding] = reason_deal(deal("merger", REF), [legacy])
    assert finding.title == "End-of-support Windows Server estate (Buyer Co)"


# -- determinism ----------------------------------------------------------------------------------------


def test_same_facts_in_any_order_give_the_same_findings_and_keys():
    facts = [
        fact("target", "network", "network", "Addressing", "Sites use 10.8.0.0/16."),
        fact("buyer", "network", "network", "Addressing", "Corporate uses 10.8.0.0/14.", doc=7),
        fact("target", "identity_access", "mfa", "MFA", "MFA is enforced for all users.", doc=1),
        fact("target", "identity_access", "mfa", "MFA audit", "MFA covers 70% of accounts.", doc=2),
        fact("target", "applications", "erp", "ERP", "The business uses the parent's SAP instance.", doc=3),
        fact("target", "infrastructure", "os", "Windows Server 2012 R2", "38 servers still on Windows Server 2012 R2."),
    ]
    first = reason_deal(deal("carve_out", REF), facts)
    shuffled = list(facts)
    random.Random(3).shuffle(shuffled)
    second = reason_deal(deal("carve_out", REF), shuffled)
    assert [(f.key, f.description, [(l.fact_key, l.link_type) for l in f.links]) for f in first] == [
        (f.key, f.description, [(l.fact_key, l.link_type) for l in f.links]) for f in second
    ]
    assert len(first) >= 5


# -- the offline engine's facts go through the same rules ---------------------------------------------------


@pytest.mark.parametrize(
    "buyer_text, target_texts, title",
    [
        ("Every acquired company must enforce MFA before it is connected to the Kestrel WAN.",
         {"identity_access": "MFA: enabled for 40% of users."},
         "Target does not meet the buyer's integration requirement: multi-factor authentication"),
        ("New businesses are migrated onto our ERP within 24 months of completion.",
         {"organization": "The TSA for SAP hosting runs 12 months from closing."},
         "TSA term shorter than the buyer's migration timeline: ERP"),
    ],
)
def test_offline_discovery_feeds_the_layer(buyer_text, target_texts, title):
    from dealiq.domains import DOMAIN_KEYS
    from dealiq.engines.offline import OfflineEngine, fact_records

    from . import discover

    engine = OfflineEngine()
    facts = [f for domain in DOMAIN_KEYS for f in discover(engine, domain, buyer_text, entity="buyer").facts]
    assert [f for f in facts if f.category == "integration_rule"]
    for domain, text in target_texts.items():
        facts += discover(engine, domain, text).facts
    found = titles(reason_deal(deal("carve_out", REF), fact_records(facts)))
    assert title in found and found[title].severity in ("critical", "high")


@pytest.mark.parametrize(
    "first, second",
    [
        ("Virtualisation: VMware ESXi 8.0 U2 cluster of four hosts.", "esx01, esx02: ESXi 7.0 U3 build 21930508"),
        ("Perimeter firewalls run PAN-OS 11.1.", "Pen test: the firewall banner showed PAN-OS 9.1.14."),
        ("PayPortal is written in .NET 8.", "PayPortal production still runs on .NET Framework 4.6.2 (migration not deployed)."),
    ],
)
def test_two_documents_naming_disjoint_versions_of_one_platform_disagree(first, second):
    a = fact("target", "infrastructure", "platform", "Platform", first, doc=1)
    b = fact("target", "infrastructure", "platform", "Platform", second, doc=2)
    [conflict] = [f for f in reason_deal(deal("acquisition", REF), [a, b]) if f.details["rule"] == "conflicting_versions"]
    assert link_types(conflict) == {a.key: "contradicts", b.key: "contradicts"}


def test_an_estate_of_several_versions_is_not_a_contradiction():
    a = fact("target", "infrastructure", "os", "Servers", "Servers run Windows Server 2019 and 2022.", doc=1)
    b = fact("target", "infrastructure", "os", "Servers", "Inventory: 12 servers on Windows Server 2019.", doc=2)
    assert not [f for f in reason_deal(deal("acquisition", REF), [a, b]) if f.details["rule"] == "conflicting_versions"]


@pytest.mark.parametrize(
    "denial, report",
    [
        ("Q12: Security incidents in the last 3 years? No incidents.", "In May 2025 ransomware encrypted two file servers at the Leeds depot."),
        ("There have been no material security breaches.", "Finance lost EUR 40,000 to a business e-mail compromise in 2025."),
    ],
)
def test_an_incident_denied_in_one_document_and_reported_in_another(denial, report):
    said = fact("target", "cybersecurity", "incident", "Incidents (questionnaire)", denial, doc=1)
    found = fact("target", "cybersecurity", "incident", "Incident", report, doc=2)
    [finding] = reason_deal(deal("acquisition", REF), [said, found])
    assert finding.severity == "high" and link_types(finding) == {said.key: "contradicts", found.key: "contradicts"}


@pytest.mark.parametrize(
    "row, severity",
    [
        ("Vendor: Fleetwise; Service: telematics; End: 2029-03-31; Change of control: licence terminates automatically", "high"),
        ("Supplier: DocuPrint; Service: print fleet; End: 2030-01-31; Assignment: requires supplier consent", "medium"),
    ],
)
def test_change_of_control_terms_are_a_risk_of_the_contract(row, severity):
    clause = fact("target", "applications", "contract_clause", "Clause", row, party=row.split(";")[0].split(": ")[1])
    [finding] = reason_deal(deal("acquisition", REF), [clause])
    assert finding.title.startswith("Change-of-control clause: ") and finding.severity == severity


def test_a_contract_with_no_change_of_control_terms_far_from_completion_is_nothing():
    row = fact("target", "applications", "contract", "Row", "Vendor: Acme; Service: ERP; End: 2030-01-31; Assignment: notify only", vendor="Acme")
    assert reason_deal(deal("acquisition", REF), [row]) == []


def test_incidents_are_one_finding_and_tests_are_not_incidents():
    facts = [
        fact("target", "cybersecurity", "incident", "Incident 1", "A phishing e-mail led to a compromised finance mailbox in 2025.", doc=1),
        fact("target", "cybersecurity", "incident", "Incident 2", "Ransomware hit the Leeds depot file server in May 2026.", doc=2),
        fact("target", "cybersecurity", "security_incident", "Test", "The assumed-breach test from a plant PC reached the domain controller.", doc=3),
    ]
    [finding] = reason_deal(deal("acquisition", REF), facts)
    assert finding.title == "Security incidents to investigate (target)"
    assert set(link_types(finding)) == {facts[0].key, facts[1].key}


def test_a_second_crm_is_a_decision_and_the_buyers_soc_an_onboarding_item():
    facts = [
        fact("target", "applications", "crm", "CRM", "Sales use HubSpot.", product="HubSpot"),
        fact("buyer", "applications", "crm", "CRM", "Group CRM is Salesforce.", doc=9, product="Salesforce"),
        fact("buyer", "cybersecurity", "siem", "SOC", "Our SOC runs on Microsoft Sentinel.", doc=9, product="Microsoft Sentinel"),
        fact("target", "cybersecurity", "siem", "Monitoring", "Firewall logs are kept for 30 days; there is no SIEM."),
    ]
    found = titles(reason_deal(deal("merger", REF), facts))
    assert found["Decide on one CRM: target on HubSpot, buyer on Salesforce"].finding_type == "recommendation"
    onboarding = found["Onboard the target onto the buyer's SOC and security tooling"]
    assert onboarding.finding_type == "work_item" and "Microsoft Sentinel" in onboarding.description
    assert {l.link_type for l in onboarding.links} == {"triggers", "supports"}


@pytest.mark.parametrize(
    "row, severity",
    [
        ("Vendor: SentinelOne; Service: EDR for 400 endpoints; Contract holder: Blue Fir Capital; Non-transferable", "critical"),
        ("Vendor: Miro; Service: whiteboard licences; licensed through the investor's portfolio programme", "high"),
    ],
)
def test_licences_the_target_does_not_hold_lapse_at_completion(row, severity):
    licence = fact("target", "applications", "contract", "Licence", row)
    [finding] = reason_deal(deal("acquisition", REF), [licence])
    assert finding.title.startswith("Licence or contract does not transfer at completion: ") and finding.severity == severity


def test_a_contract_the_target_holds_itself_transfers():
    own = fact("target", "applications", "contract", "Licence", "Vendor: Miro; Service: whiteboard; Contract holder: Target Co Ltd; End: 2030-01-31")
    assert reason_deal(deal("acquisition", REF), [own]) == []


@pytest.mark.parametrize(
    "rule, days, phase",
    [
        ("IR-02 All users and mailboxes are migrated to our Entra ID tenant within 90 days of close.", 90, "100_day"),
        ("New companies consolidate onto our ERP within 18 months of completion.", None, "long_term"),
    ],
)
def test_a_buyer_timeline_is_a_dated_work_item(rule, days, phase):
    buyer = fact("buyer", "applications", "integration_rule", "Rule", rule, doc=9)
    [finding] = reason_deal(deal("acquisition", REF), [buyer])
    assert finding.finding_type == "work_item" and finding.phase == phase
    deadline = (REF + dt.timedelta(days=days)).isoformat() if days else "2028-05-23"
    assert deadline in finding.description


def test_an_audit_finding_contradicts_a_policy_claim():
    policy = fact("buyer", "identity_access", "lifecycle", "Leavers", "Leavers lose access to all systems within 24 hours (automated).", doc=1)
    audit = fact("buyer", "identity_access", "audit", "Audit", "Nonconformity NC-3: 37 leaver accounts still enabled in Entra ID.", doc=2)
    findings = [f for f in reason_deal(deal("merger", REF), [policy, audit]) if f.details["rule"] == "conflicting_statements"]
    [finding] = findings
    assert link_types(finding) == {policy.key: "contradicts", audit.key: "contradicts"}


@pytest.mark.parametrize(
    "text, role",
    [
        ("Our CISO has resigned; his last day is 28 February 2027 and no interim has been named.", "CISO"),
        ("The IT Director position is vacant since March; the CFO covers IT.", "IT Director"),
    ],
)
def test_an_it_leader_leaving_or_missing_is_a_risk(text, role):
    staff = fact("target", "organization", "people", "IT leadership", text)
    found = titles(reason_deal(deal("acquisition", REF), [staff]))
    assert found[f"IT leadership gap: {role} (target)"].severity == "high"
