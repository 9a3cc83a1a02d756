"""General classes of analyst reasoning added to the deal-level layer (platform differences read from
inventory rows, controls folded into one finding per risk, site resilience, practices a buyer's baseline
forbids…), each on facts written for these tests in at least two wordings, with a negative case."""
from __future__ import annotations

import datetime as dt

import pytest

from dealiq.reasoning import reason_deal
from dealiq.schemas import FactRecord

from . import deal

REF = dt.date(2026, 11, 23)


def fact(entity, domain, category, item, evidence, doc=1, **details) -> FactRecord:
    key = f"{entity}-{domain}-{category}-{item}-{doc}"
    return FactRecord(key, entity, domain, category, item, {"source_file": f"doc{doc}.pdf", **details}, evidence, doc, (1,))


def titles(findings):
    return {f.title: f for f in findings}


# -- platforms: target against buyer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, platform",
    [
        ("App ID: A-7; Application: PayFlow; Vendor: PayFlow Inc; Business function: HR, payroll and time; Users: 300", "PayFlow"),
        ("app_id: X2; application: Hartley People; capability: Payroll / HR; hosting: SaaS", "Hartley People"),
    ],
)
def test_an_inventory_row_names_the_function_and_in_an_acquisition_it_is_a_migration(row, platform):
    target = fact("target", "applications", "contract", f"Contract: {platform}", row, rule="contract_end", end_date="2029-01-01")
    buyer = fact("buyer", "applications", "hr", "HR platform", "Group HR runs on Workday HCM.", doc=9, function="hr", platform="Workday")
    found = titles(reason_deal(deal("acquisition", REF), [target, buyer]))
    finding = found[f"Integrate HR / payroll: target on {platform}, buyer on Workday"]
    assert finding.finding_type == "work_item" and finding.domain == "applications"
    # the same difference between equals in a merger is a decision, not a migration
    found = titles(reason_deal(deal("merger", REF), [target, buyer]))
    assert found[f"Decide on one HR / payroll: target on {platform}, buyer on Workday"].finding_type == "recommendation"


def test_a_platform_the_buyer_says_it_retires_is_not_the_buyers_platform():
    target = fact("target", "applications", "email", "E-mail", "All staff use Google Workspace.", function="email", platform="Google Workspace")
    retiring = fact("buyer", "applications", "email", "E-mail", "Consolidate onto Microsoft 365; retire Google Workspace within 6 months.",
                    doc=9, function="email", platform="Google Workspace")
    suite = fact("buyer", "applications", "saas_subscription", "Microsoft 365 E3", "| Collaboration | Microsoft 365 E3 |", doc=9,
                 product="microsoft-365", rule="eol_catalogue")
    found = titles(reason_deal(deal("merger", REF), [target, retiring, suite]))
    assert "Integrate email and collaboration: target on Google Workspace, buyer on Microsoft 365" in found
    # without the buyer's suite, the retiring statement alone names no buyer platform: nothing to compare
    assert not [f for f in reason_deal(deal("merger", REF), [target, retiring]) if f.title.startswith("Integrate email")]


def test_a_platform_detail_the_evidence_does_not_name_is_not_trusted():
    misread = fact("target", "applications", "erp", "ERP platform", "| ERP / finance | Microsoft Dynamics AX 2012 R3 |",
                   function="erp", platform="Microsoft Dynamics 365 Finance & Operations")
    row = fact("target", "infrastructure", "database", "SQL Server 2014",
               "app_id: A1; application: Microsoft Dynamics AX 2012 R3; capability: ERP - finance, billing", doc=2)
    buyer = fact("buyer", "applications", "erp", "ERP", "| ERP | Microsoft Dynamics 365 Finance & Operations |", doc=9,
                 function="erp", platform="Microsoft Dynamics 365 Finance & Operations")
    found = titles(reason_deal(deal("merger", REF), [misread, row, buyer]))
    assert "Integrate ERP: target on Microsoft Dynamics AX 2012 R3, buyer on Microsoft Dynamics 365 Finance & Operations" in found


@pytest.mark.parametrize("target_text, buyer_text", [
    ("Virtualisation: VMware vSphere 7 on 4 hosts.", "Hosting: Hyper-V 2019 cluster in colocation."),
    ("All servers are VMs on Nutanix AHV.", "Our private cloud runs VMware vSphere 8."),
])
def test_different_virtualisation_platforms_are_a_hosting_migration(target_text, buyer_text):
    t_platform = "VMware vSphere" if "vSphere" in target_text else "Nutanix AHV"
    b_platform = "Microsoft Hyper-V" if "Hyper-V" in buyer_text else "VMware vSphere"
    target = fact("target", "infrastructure", "virtualisation", "Virtualisation", target_text, platform=t_platform)
    buyer = fact("buyer", "infrastructure", "virtualisation", "Virtualisation", buyer_text, doc=9, platform=b_platform)
    found = titles(reason_deal(deal("merger", REF), [target, buyer]))
    finding = found[f"Integrate virtualisation / hosting platform: target on {t_platform}, buyer on {b_platform}"]
    assert finding.domain == "infrastructure" and finding.finding_type == "work_item" and finding.cost_low


def test_the_same_platform_in_different_editions_is_no_integration_item():
    target = fact("target", "applications", "saas_subscription", "Microsoft 365 E3", "Microsoft 365 E3, 600 users", product="microsoft-365")
    buyer = fact("buyer", "applications", "saas_subscription", "Microsoft 365 E5", "Microsoft 365 E5 for all staff", doc=9, product="microsoft-365")
    vmware_t = fact("target", "infrastructure", "virtualisation", "Virtualisation", "VMware vSphere 7.0 U3", platform="VMware vSphere 7.0")
    vmware_b = fact("buyer", "infrastructure", "virtualisation", "Virtualisation", "VMware vSphere 8.0", doc=9, platform="VMware vSphere 8.0")
    assert not [f for f in reason_deal(deal("acquisition", REF), [target, buyer, vmware_t, vmware_b]) if f.title.startswith("Integrate")]


def link_types(finding):
    return {l.fact_key: l.link_type for l in finding.links}


# -- one finding per risk: a buyer rule against unsupported software joins the end-of-support finding ----


@pytest.mark.parametrize("rule_text, blocks, severity", [
    ("SB-05 | Lifecycle | No operating system or database past vendor end of support. | Day 180", False, "high"),
    ("Only vendor-supported OS releases are permitted on the group network.", True, "critical"),
    ("Systems beyond end of support must not be connected to the group WAN.", True, "critical"),
])
def test_a_buyer_rule_against_unsupported_software_is_part_of_the_end_of_support_finding(rule_text, blocks, severity):
    rule = fact("buyer", "infrastructure", "integration_rule", "Rule", rule_text, doc=9)
    estate = fact("target", "infrastructure", "servers", "Windows Server 2008 R2 (3 servers)", "3 servers on Windows Server 2008 R2.")
    findings = reason_deal(deal("acquisition", REF), [rule, estate])
    [finding] = findings
    assert finding.title == "End-of-support Windows Server estate" and finding.severity == severity
    assert finding.details["blocks_day_1"] is blocks and link_types(finding)[rule.key] == "supports"


def test_no_buyer_rule_leaves_the_end_of_support_finding_alone():
    estate = fact("target", "infrastructure", "servers", "SQL Server 2014 (3 instances)", "3 databases on SQL Server 2014 SP3.")
    [finding] = reason_deal(deal("acquisition", REF), [estate])
    assert finding.details["buyer_gate"] is False and set(link_types(finding).values()) == {"triggers"}


# -- one finding per risk: a dated buyer rule about a control the target lacks joins the gate's risk -------


@pytest.mark.parametrize("dated_text, deadline", [
    ("IR-12 Privileged accounts are onboarded to CyberArk within 90 days of close.", "2027-02-21"),
    ("All admin accounts must be migrated into our PAM vault within 3 months of completion.", "2027-02-23"),
])
def test_a_dated_rule_on_a_gated_control_is_part_of_the_gate_risk(dated_text, deadline):
    gate = fact("buyer", "identity_access", "integration_rule", "Rule", "All privileged accounts must be vaulted before Day 1.", doc=9)
    dated = fact("buyer", "identity_access", "integration_rule", "Dated rule", dated_text, doc=8)
    state = fact("target", "identity_access", "pam", "PAM", "No privileged access management tool; 9 domain admins.")
    found = titles(reason_deal(deal("acquisition", REF), [gate, dated, state]))
    assert not [t for t in found if t.startswith("Integration to the buyer's timeline")]
    risk = found["Target does not meet the buyer's integration requirement: privileged access management"]
    assert risk.details["deadlines"] == [deadline] and link_types(risk)[dated.key] == "supports"


def test_a_dated_rule_on_a_control_the_target_meets_stays_a_work_item():
    dated = fact("buyer", "identity_access", "integration_rule", "Dated rule",
                 "IR-12 Privileged accounts are onboarded to CyberArk within 90 days of close.", doc=8)
    state = fact("target", "identity_access", "pam", "PAM", "CyberArk is deployed for all privileged accounts.")
    found = titles(reason_deal(deal("acquisition", REF), [dated, state]))
    assert found["Integration to the buyer's timeline: IR-12"].finding_type == "work_item"


# -- site registers: a single path, and sites left on a legacy WAN -----------------------------------------


def _site(entity, text, doc=3):
    return fact(entity, "network", "site", text[:40], text, doc=doc)


def test_sites_without_a_backup_link_are_one_risk_in_two_register_layouts():
    register_a = [
        _site("target", "Site: Head office; Type: HQ / server room; Primary WAN: MPLS 200 Mbps; Backup internet: none"),
        _site("target", "Site: Depot North; Type: Warehouse; Primary WAN: MPLS 20 Mbps; Backup internet: LTE"),
        _site("target", "Site: Depot South; Type: Warehouse; Primary WAN: MPLS 20 Mbps"),  # column left empty
    ]
    register_b = [
        _site("target", "location: Leeds; wan: single DIA circuit, no backup link; users: 40", doc=4),
        _site("target", "location: York; wan: dual DIA (2x 100 Mbps); users: 25", doc=4),
    ]
    [risk] = [f for f in reason_deal(deal("acquisition", REF), register_a + register_b) if f.details.get("rule") == "site_without_backup_link"]
    assert risk.details["sites"] == ["Depot South", "Head office", "Leeds"]
    assert risk.severity == "high"  # the head office hosts what every other site uses
    assert risk.domain == "network" and risk.finding_type == "risk"


def test_sites_that_all_have_a_second_path_are_no_finding():
    rows = [
        _site("target", "Site: A; Primary WAN: MPLS 50 Mbps; Backup internet: broadband 100 Mbps"),
        _site("target", "Site: B; Primary WAN: SD-WAN (2x DIA); Backup internet: none"),
    ]
    assert reason_deal(deal("acquisition", REF), rows) == []


def test_sites_marked_legacy_are_a_migration_work_item():
    rows = [
        _site("target", "site: Hull; wan: MPLS (Carrier X); edge_device: Router 1900; status: Legacy - migration TBD"),
        _site("target", "Site: Cork; WAN: MPLS; Router: ISR 4321; Status: not yet migrated to SD-WAN; Backup: LTE", doc=5),
        _site("target", "site: Derby; wan: SD-WAN; edge_device: MX85; status: Live"),
    ]
    [item] = [f for f in reason_deal(deal("acquisition", REF), rows) if f.details.get("rule") == "legacy_sites"]
    assert item.finding_type == "work_item" and item.details["sites"] == ["Cork", "Hull"]
    assert "Router 1900" in item.description


# -- practices a buyer's baseline forbids -------------------------------------------------------------------


@pytest.mark.parametrize("state_text", [
    "HR-3 Access control: shared pharmacy counter logins; no periodic user access review",
    "Warehouse scanners use generic user IDs (WH01-WH40) whose password is on the wall.",
])
def test_shared_accounts_against_a_buyer_rule(state_text):
    rule = fact("buyer", "identity_access", "integration_rule", "Rule", "IR-10 Shared or generic user accounts are prohibited.", doc=9)
    state = fact("target", "identity_access", "access", "Accounts", state_text)
    [risk] = [f for f in reason_deal(deal("acquisition", REF), [rule, state]) if f.details.get("rule") == "shared_accounts"]
    assert risk.title == "Shared or generic accounts in use" and risk.domain == "identity_access"
    assert link_types(risk) == {state.key: "triggers", rule.key: "supports"}


def test_no_shared_accounts_is_not_a_finding():
    state = fact("target", "identity_access", "access", "Accounts", "There are no shared accounts; every user has a named login.")
    assert reason_deal(deal("acquisition", REF), [state]) == []


@pytest.mark.parametrize("texts", [
    ("SMBv1 is still enabled on the file server FS01.", "The customer portal accepts TLS 1.0 connections."),
    ("Backup NAS uses the default SNMP community string.", "Patient databases are not encrypted at rest (no TDE)."),
])
def test_legacy_protocols_and_unencrypted_data_are_one_risk(texts):
    facts = [fact("target", "cybersecurity", "vulnerability", f"Finding {i}", t, doc=i) for i, t in enumerate(texts, 1)]
    [risk] = [f for f in reason_deal(deal("acquisition", REF), facts) if f.details.get("rule") == "insecure_protocols"]
    assert risk.title == "Insecure protocols and unencrypted data" and {l.fact_key for l in risk.links} == {f.key for f in facts}


def test_a_buyer_rule_requiring_tls_is_not_itself_an_insecure_practice():
    rule = fact("buyer", "cybersecurity", "integration_rule", "Rule", "SB-06 | Encryption | TLS 1.2 or later; encryption at rest for all PHI.", doc=9)
    assert reason_deal(deal("acquisition", REF), [rule]) == []


@pytest.mark.parametrize("state_text", [
    "Vendor: SMS Gateway Ltd; BAA: not signed; handles patient phone numbers",
    "The contact-centre provider processes customer data without a data processing agreement.",
])
def test_vendors_without_a_data_protection_agreement(state_text):
    state = fact("target", "applications", "vendor", "Vendor", state_text)
    [risk] = [f for f in reason_deal(deal("acquisition", REF), [state]) if f.details.get("rule") == "data_protection_agreements"]
    assert risk.domain == "cybersecurity" and risk.phase == "day_1"


def test_a_signed_baa_is_not_a_finding():
    state = fact("target", "applications", "vendor", "Vendor", "Vendor: SMS Gateway Ltd; BAA signed 2025-03-01.")
    assert reason_deal(deal("acquisition", REF), [state]) == []


# -- precision: near-duplicates and noise left out --------------------------------------------------------


@pytest.mark.parametrize("first, second", [
    (("Sites: 4", "IR-04 Sites migrate to the new SD-WAN."), ("Sites: 14", "The WAN connects 14 sites.")),
    (("Service accounts: 3", "14 Domain Admins, incl. 3 service accounts with old passwords"), ("Service accounts: 41", "41 service accounts are excluded from MFA.")),
])
def test_identifiers_limits_and_subsets_are_not_conflicting_counts(first, second):
    measure = "site_count" if "Sites" in first[0] else "service_accounts"
    a = fact("target", "network", "count", first[0], first[1], doc=1, measure=measure, value=int(first[0].split()[-1]))
    b = fact("target", "network", "count", second[0], second[1], doc=2, measure=measure, value=int(second[0].split()[-1]))
    assert not [f for f in reason_deal(deal("acquisition", REF), [a, b]) if f.title.startswith("Conflicting figures")]


def test_two_real_counts_still_conflict():
    a = fact("target", "organization", "headcount", "IT staff: 12", "The IT team has 12 FTE.", doc=1, measure="it_fte", value=12)
    b = fact("target", "organization", "headcount", "IT staff: 5", "Internal IT headcount: 5 FTE plus one vacancy.", doc=2, measure="it_fte", value=5)
    assert [f for f in reason_deal(deal("acquisition", REF), [a, b]) if f.title.startswith("Conflicting figures")]


def test_a_question_listing_several_certifications_is_no_claim_about_one():
    claim = fact("target", "cybersecurity", "certification", "SOC 2: in place",
                 "Do you hold a current certification (HITRUST, SOC 2, ISO 27001)? | Yes | HITRUST r2 certified.", doc=1,
                 control="certification", certification="SOC 2", status="present")
    denial = fact("target", "cybersecurity", "certification", "SOC 2: not in place", "No SOC 2 report exists.", doc=2,
                  control="certification", certification="SOC 2", status="absent")
    assert not [f for f in reason_deal(deal("acquisition", REF), [claim, denial]) if f.title.startswith("Conflicting statements")]
    real_claim = fact("target", "cybersecurity", "certification", "SOC 2: in place", "We hold a SOC 2 Type II report.", doc=3,
                      control="certification", certification="SOC 2", status="present")
    assert [f for f in reason_deal(deal("acquisition", REF), [real_claim, denial]) if f.title.startswith("Conflicting statements")]


def test_a_leader_in_place_earlier_and_leaving_later_is_not_a_contradiction():
    present = fact("buyer", "cybersecurity", "governance", "CISO", "Policy approved by the CISO on 2026-10-05.", doc=1,
                   control="security_leadership", status="present")
    leaving = fact("buyer", "cybersecurity", "governance", "CISO", "The CISO leaves on 28 Feb 2027; no interim is appointed.", doc=2,
                   control="security_leadership", status="absent")
    found = titles(reason_deal(deal("merger", REF), [present, leaving]))
    assert not [t for t in found if t.startswith("Conflicting statements")]
    assert "IT leadership gap: CISO (buyer)" in found


def test_the_onboarding_item_says_the_target_has_no_monitoring():
    facts = [
        fact("buyer", "cybersecurity", "siem", "SOC", "Our 24x7 SOC runs on Microsoft Sentinel.", doc=9, product="Microsoft Sentinel"),
        fact("target", "cybersecurity", "siem", "SIEM", "Is there a SIEM? No - firewall logs kept 30 days.", control="siem", status="absent"),
    ]
    found = titles(reason_deal(deal("acquisition", REF), facts))
    assert "no security monitoring (SIEM / SOC) of its own" in found["Onboard the target onto the buyer's SOC and security tooling"].description


# -- a numbered buyer rule that migrates the target's systems, with no period: still a work item ----------


@pytest.mark.parametrize("rule_text", [
    "IR-02 All users, mailboxes and devices are migrated to the group Entra ID tenant",
    "INT-7 The acquired company's e-mail moves onto the group Microsoft 365 tenant.",
])
def test_a_mandated_migration_without_a_period_is_an_undated_work_item(rule_text):
    rule = fact("buyer", "identity_access", "integration_rule", "Rule", rule_text, doc=9)
    [item] = reason_deal(deal("acquisition", REF), [rule])
    assert item.finding_type == "work_item" and item.details["deadline"] is None
    assert "states no deadline" in item.description


def test_a_rule_naming_no_system_or_no_move_is_not_a_migration():
    rules = [
        fact("buyer", "organization", "integration_rule", "Rule", "G-01 Diligence is complete before signing.", doc=9),
        fact("buyer", "identity_access", "integration_rule", "Rule", "IR-09 Accounts are reviewed quarterly.", doc=9),
    ]
    assert reason_deal(deal("acquisition", REF), rules) == []


# -- a custom application's own stack is reported once, with the application ---------------------------------


@pytest.mark.parametrize("row, product", [
    ("hostname: APP01; role: PortalX (Tomcat 8.5, Oracle JDK 8u202); application: PortalX; custom build", "Oracle JDK 8"),
    ("app_id: A3; application: TrackHub; vendor: In-house; database: MySQL 5.7 on CentOS 7", "MySQL 5.7"),
])
def test_the_stack_named_in_a_custom_applications_own_row_is_not_a_second_estate_finding(row, product):
    app = fact("target", "applications", "custom_software", "Custom application", row)
    stack = fact("target", "applications", "runtime", f"{product}: 202 applications", row, doc=2, count=202)
    titles_ = set(titles(reason_deal(deal("acquisition", REF), [app, stack])))
    assert any(t.startswith("Custom application on unsupported technology") for t in titles_)
    family = "Oracle JDK" if "JDK" in product else "MySQL"
    assert f"End-of-support {family} estate" not in titles_


def test_a_shared_estate_line_stays_an_estate_finding():
    app = fact("target", "applications", "custom_software", "Custom application", "application: PortalX; in-house; Java 8")
    estate = fact("target", "infrastructure", "database", "MySQL 5.7: 9 instances", "9 MySQL 5.7 instances across the estate, PortalX among them.",
                  doc=2, count=9)
    assert "End-of-support MySQL estate" in titles(reason_deal(deal("acquisition", REF), [app, estate]))


# -- contracts: routine renewals go in the plan, different applications of one vendor are not a conflict ------


def test_a_low_criticality_renewal_is_in_the_plan_not_a_risk():
    rows = [
        fact("target", "applications", "contract", "BI", "Application: ChartPro; Vendor: Chartly; Criticality: Low; Contract end: 2027-01-31", end_date="2027-01-31", party="Chartly"),
        fact("target", "applications", "contract", "ERP", "Application: LedgerOne; Vendor: Ledgerly; Criticality: Critical; Contract end: 2027-02-28", doc=2, end_date="2027-02-28", party="Ledgerly"),
    ]
    found = titles(reason_deal(deal("acquisition", REF), rows))
    assert "Contract ends near close: Ledgerly" in found and "Contract ends near close: Chartly" not in found
    assert "Chartly" in found["Renewal plan for contracts ending around completion"].description


def test_two_applications_of_one_vendor_with_different_end_dates_are_not_a_conflict():
    rows = [
        fact("target", "applications", "contract", "A", "Application: Suite Mail; Vendor: Megasoft; Contract end: 2027-01-31", doc=1, end_date="2027-01-31", party="Megasoft"),
        fact("target", "applications", "contract", "B", "Application: Suite SIEM; Vendor: Megasoft; Contract end: 2027-03-31", doc=2, end_date="2027-03-31", party="Megasoft"),
    ]
    [risk] = [f for f in reason_deal(deal("acquisition", REF), rows) if f.title.startswith("Contract ends near close")]
    assert "disagree" not in risk.description and "contradicts" not in {l.link_type for l in risk.links}


# -- end of support: only releases the statement says are running -------------------------------------------


@pytest.mark.parametrize("evidence", [
    "Moving to PHP 7.4 / Laravel 8 is about 4-5 months of work for one developer.",
    "The plan is to upgrade the portal to PHP 7.4 next year.",
])
def test_a_planned_target_release_is_not_the_estate(evidence):
    planned = fact("target", "applications", "runtime", "PHP 7.4", evidence)
    assert not [f for f in reason_deal(deal("acquisition", REF), [planned]) if f.title.startswith("End-of-support")]


def test_a_running_release_is_still_the_estate():
    running = fact("target", "applications", "runtime", "PHP 7.4", "The portal runs on PHP 7.4 today.")
    assert [f for f in reason_deal(deal("acquisition", REF), [running]) if f.title.startswith("End-of-support")]


def test_a_catalogue_match_whose_numbers_the_text_does_not_contain_is_a_misreading():
    misread = fact("target", "infrastructure", "end_user_os", "Windows 10 22H2", "os: Windows 11 Enterprise; version: 24H2",
                   rule="eol_catalogue", product="windows", cycle="10-22h2", release="Windows 10 22H2", matched_text="Windows 11 Enterprise")
    right = fact("target", "infrastructure", "end_user_os", "Windows 10 22H2", "os: Windows 10 Pro; version: 22H2", doc=2,
                 rule="eol_catalogue", product="windows", cycle="10-22h2", release="Windows 10 22H2", matched_text="Windows 10")
    found = reason_deal(deal("acquisition", REF), [misread, right])
    [finding] = [f for f in found if f.title.startswith("End-of-support")]
    assert {l.fact_key for l in finding.links} == {right.key}
