"""Classes of statement a carve-out data room makes that discovery used to miss (rules-1.4), each on text
written for these tests in wordings of its own — never a sample or evaluation room's sentences:

- counts written as words ("we are eleven permanent staff");
- one-factor logins stated by a test or audit ("accepts single-factor sign-in"), and the other names of
  MFA ("two-step authentication", "second factor");
- a bare title naming a control ("Privileged access") claims no status;
- a questionnaire's "None" to an incident question written as a label, without a question mark;
- an inventory's own total line ("Total | 31 VMs") as a stated count;
- terse notes of missing documents ("no data-flow diagram is available", "no escrow");
- the incident register topic answered by a register, not by any mention of an incident;
- deal level: open critical test findings, conflicting TSA terms, several conflicting counts, retention
  of key people, identity separation into a buyer's tenant, support contracts as organisation, reverse TSAs.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dealiq.checklist import evaluate_checklist
from dealiq.engines.offline import OfflineEngine, fact_records
from dealiq.reasoning import reason_deal
from dealiq.schemas import FactRecord, ReasoningRequest

from . import deal, discover, page


@pytest.fixture(scope="module")
def engine():
    return OfflineEngine()


def by_category(result, category):
    return [f for f in result.facts if f.category == category]


# -- counts written as words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, n",
    [
        ("Our team is eleven permanent staff, plus two agency contractors on rolling terms.", 11),
        ("The IT function has twelve people across both plants.", 12),
        ("IT headcount: the department counts seven permanent employees.", 7),
        ("Our IT department employs 16 FTE.", 16),
    ],
)
def test_it_headcount_written_as_a_word_or_a_figure(engine, text, n):
    [fact] = by_category(discover(engine, "organization", text), "headcount")
    assert fact.details["measure"] == "it_fte" and fact.details["value"] == n
    assert fact.item == f"IT staff: {n} FTE"


def test_two_documents_giving_the_team_size_in_figures_and_in_words_are_two_measures(engine):
    result = discover(
        engine, "organization",
        "The IT team of 21 permanent staff supports all four plants.",
        "In the workshop the manager said: we are only thirteen permanent people, the rest are agency staff.",
    )
    values = sorted(f.details["value"] for f in by_category(result, "headcount") if f.details.get("measure") == "it_fte")
    assert values == [13, 21]


def test_a_company_headcount_in_words_is_not_the_it_team(engine):
    result = discover(engine, "organization", "The plant employs ninety operators on three shifts.")
    assert not [f for f in by_category(result, "headcount") if f.details.get("measure") == "it_fte"]


# -- MFA: one-factor logins and the other names of a second factor -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Finding 4: the remote desktop gateway allows single-factor sign-in for the support vendor.",
        "Field engineers reach the plant VPN with a username and password only.",
        "Password-only access to the legacy webmail is still enabled for shop-floor users.",
    ],
)
def test_one_factor_access_stated_by_a_test_is_mfa_absent(engine, text):
    facts = by_category(discover(engine, "identity_access", text), "mfa")
    assert [f.details["status"] for f in facts] == ["absent"], [f.item for f in facts]
    assert facts[0].evidence in text


def test_a_rule_against_single_factor_access_is_not_a_statement_of_it(engine):
    text = "Single-factor remote access must be removed before any site is connected."
    assert not [f for f in by_category(discover(engine, "identity_access", text, entity="buyer"), "mfa")
                if f.details.get("rule") == "mfa_single_factor"]


@pytest.mark.parametrize(
    "text, status",
    [
        ("Two-step authentication is required for every webmail login.", "present"),
        ("Warehouse scanner accounts have no second factor.", "absent"),
        ("A second factor is registered for 58% of the accounts in the tenant.", "partial"),
    ],
)
def test_other_names_of_mfa(engine, text, status):
    [fact] = by_category(discover(engine, "identity_access", text), "mfa")
    assert fact.details["status"] == status


def test_a_bare_title_naming_a_control_claims_no_status(engine):
    text = "Privileged access\nAdministrators of the plant domain are named in the access list kept by the site lead."
    result = discover(engine, "identity_access", text)
    assert not [f for f in result.facts if f.evidence.strip() == "Privileged access"]


# -- incidents: a questionnaire's "None" without a question mark ------------------------------------------


def test_none_to_an_incident_question_written_as_a_label_is_a_no_incidents_claim(engine):
    text = (
        "| No. | Topic | Reply |\n|---|---|---|\n"
        "| S-7 | Breaches in the past five years | None known. |\n"
        "| S-8 | Data classification scheme | Three levels. |\n"
    )
    facts = [f for f in by_category(discover(engine, "cybersecurity", text), "incident")]
    assert [f.details.get("status") for f in facts] == ["none_reported"]


def test_a_count_of_incidents_is_not_a_no_incidents_claim(engine):
    text = "| No. | Topic | Reply |\n|---|---|---|\n| S-7 | Incidents in the last 12 months | 3 (two phishing, one lost laptop) |\n"
    facts = by_category(discover(engine, "cybersecurity", text), "incident")
    assert not [f for f in facts if f.details.get("status") == "none_reported"]


# -- an inventory's own total line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, n",
    [
        ("| Host | Role | OS |\n|---|---|---|\n| APP-1 | ERP app | RHEL 8 |\n| APP-2 | ERP db | RHEL 8 |\n| Total | 31 VMs | |\n", 31),
        ("| Name | Purpose |\n|---|---|\n| SQL-A | Finance DB |\n| Grand total | 12 servers |\n", 12),
    ],
)
def test_an_inventory_total_line_is_a_stated_server_count(engine, text, n):
    facts = by_category(discover(engine, "infrastructure", text), "server_estate")
    assert [(f.details["measure"], f.details["value"]) for f in facts] == [("server_total", n)]


# -- gaps stated tersely --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, domain",
    [
        ("There is no data-flow diagram available for the MES and ERP links.", "applications"),
        ("The pricing tool was written by a freelancer: no source-code escrow, no written documentation.", "applications"),
    ],
)
def test_terse_notes_of_a_missing_document_are_gaps(engine, line, domain):
    text = f"Meeting notes\n\nThe landscape is described below.\n{line}\n"
    result = discover(engine, domain, text)
    assert [g for g in result.gaps if g.evidence and g.evidence in line], [g.description for g in result.gaps]


def test_a_document_not_required_is_no_gap(engine):
    result = discover(engine, "applications", "The SaaS CRM needs no documentation beyond the vendor's; no documentation is required.")
    assert not [g for g in result.gaps if g.evidence]


# -- the incident register topic ----------------------------------------------------------------------------


def _incident_topic(text):
    [status] = [s for s in evaluate_checklist("cybersecurity", [page(text)], "carve_out", entity="target")
                if s.topic_id == "incident_history"]
    return status


def test_mentions_of_an_incident_do_not_answer_the_incident_register():
    status = _incident_topic("A phishing e-mail led to a mailbox takeover in 2024; the password was reset. No other incidents.")
    assert not status.answered


def test_an_incident_register_answers_the_topic():
    status = _incident_topic("The security incident log for 2021-2025 lists 14 entries with root causes.")
    assert status.answered


# -- deal-level rules (rules-1.4), on free-form facts as a model returns them --------------------------------

REF = dt.date(2027, 2, 28)


def fact(entity, domain, category, item, evidence, doc=1, **details) -> FactRecord:
    key = f"{entity}-{domain}-{category}-{item}-{doc}"
    return FactRecord(key, entity, domain, category, item, {"source_file": f"doc{doc}.pdf", **details}, evidence, doc, (1,))


def titled(findings, start):
    return [f for f in findings if f.title.startswith(start)]


def test_an_open_critical_test_finding_on_an_internet_facing_system_is_a_critical_risk():
    report = fact("target", "cybersecurity", "pentest", "Finding P-3",
                  "P-3 Remote code execution in the public web shop's upload form. Severity: Critical. Host SHOP-02", doc=4)
    gate = fact("buyer", "cybersecurity", "integration_rule", "Rule S-2",
                "S-2 Critical penetration test findings must be closed before the target network is connected.", doc=9)
    [risk] = titled(reason_deal(deal("carve_out", REF), [report, gate]), "Critical security-test findings")
    assert risk.domain == "cybersecurity" and risk.severity == "critical" and risk.finding_type == "risk"
    assert "Remote code execution" in risk.description
    assert {l.fact_key: l.link_type for l in risk.links} == {report.key: "triggers", gate.key: "supports"}


@pytest.mark.parametrize(
    "evidence",
    [
        "Patching SLA for critical vulnerabilities: 14 days.",                      # a policy, not a finding
        "V-1 SQL injection in the intranet search. Critical (9.1). Remediated and retested in May.",  # fixed
        "Application: Lab scheduler; Criticality: Critical; Hosting: on premises",  # business criticality
        "V-4 Outdated jQuery on the staff portal. Severity: Medium.",             # not critical
    ],
)
def test_policies_fixed_findings_and_business_criticality_are_no_open_critical_findings(evidence):
    stated = fact("target", "cybersecurity", "security", "statement", evidence)
    assert not titled(reason_deal(deal("carve_out", REF), [stated]), "Critical security-test findings")


def test_two_documents_giving_different_tsa_terms_are_a_high_organisation_risk():
    draft = fact("target", "organization", "tsa", "TSA term", "Draft schedule: 18 months from closing.", doc=2,
                 measure="tsa_term_months", value=18)
    legal = fact("target", "organization", "tsa", "TSA term", "Seller counsel: the TSA lasts at most 9 months.", doc=3,
                 measure="tsa_term_months", value=9)
    [risk] = titled(reason_deal(deal("carve_out", REF), [draft, legal]), "Conflicting figures: TSA term")
    assert risk.domain == "organization" and risk.severity == "high"
    assert {l.link_type for l in risk.links} == {"contradicts"}


def test_tsa_term_fact_from_text_and_a_schedule_line_is_not_the_term(engine):
    result = discover(engine, "organization",
                      "The transitional services agreement runs for eighteen months after closing.",
                      "S-04 Payroll bureau service 9 months price TBC",
                      "E-mail stays under the TSA for 6 months after closing.")
    terms = [f.details["value"] for f in result.facts if f.details.get("measure") == "tsa_term_months"]
    assert terms == [18]


def test_several_conflicting_counts_add_one_reconciliation_recommendation():
    facts = [
        fact("target", "infrastructure", "servers", "Servers", "Overview: 120 servers.", doc=1, measure="server_total", value=120),
        fact("target", "infrastructure", "servers", "Servers", "CMDB export: 97 servers.", doc=2, measure="server_total", value=97),
        fact("target", "organization", "staff", "IT staff", "IT has 30 FTE.", doc=1, measure="it_fte", value=30),
        fact("target", "organization", "staff", "IT staff", "HR list: 22 FTE in IT.", doc=3, measure="it_fte", value=22),
    ]
    findings = reason_deal(deal("acquisition", REF), facts)
    [rec] = titled(findings, "Reconcile the inconsistent counts")
    assert rec.domain == "organization" and rec.finding_type == "recommendation"
    assert "97 vs 120" in rec.description and "22 vs 30" in rec.description
    # one conflicting count is its own risk only
    assert not titled(reason_deal(deal("acquisition", REF), facts[:2]), "Reconcile the inconsistent counts")


def test_key_people_get_one_retention_work_item_per_entity():
    facts = [
        fact("target", "organization", "key_person", "Key person", "Ana Ribeiro is the only developer of the quoting tool.", doc=1),
        fact("target", "organization", "key_person", "Key person", "Only Tom Hale knows the SCADA network.", doc=2),
    ]
    findings = reason_deal(deal("carve_out", REF), facts)
    [item] = titled(findings, "Retention and knowledge transfer for key people")
    assert item.finding_type == "work_item" and item.domain == "organization"
    assert "Ana Ribeiro" in item.description and "Tom Hale" in item.description
    assert item.cost_low and item.cost_high and item.cost_high >= item.cost_low


def test_identity_separation_is_a_migration_into_the_buyers_tenant_when_the_buyer_has_one():
    shared = fact("target", "identity_access", "directory", "Directory",
                  "Users are in the parent's forest and group-wide tenant, shared with the parent company.", doc=1,
                  asset="active_directory", shared_with_seller=True)
    buyer = fact("buyer", "identity_access", "directory", "Buyer directory",
                 "We run one Entra ID tenant and a single AD forest for all subsidiaries.", doc=7, function="directory")
    findings = reason_deal(deal("carve_out", REF), [shared, buyer])
    [item] = [f for f in findings if f.finding_type == "work_item" and f.domain == "identity_access"]
    assert "tenant-to-tenant" in item.description and buyer.key in {l.fact_key for l in item.links}
    alone = reason_deal(deal("carve_out", REF), [shared])
    [item] = [f for f in alone if f.finding_type == "work_item" and f.domain == "identity_access"]
    assert "tenant-to-tenant" not in item.description


def test_a_desk_support_contract_with_a_change_of_control_clause_is_organisation():
    row = fact("target", "applications", "contract", "Contract: FieldFix", "Supplier: FieldFix Ltd; Service: Desktop & site support (3 engineers); "
               "Change of control: terminates on change of control", party="FieldFix Ltd")
    [risk] = titled(reason_deal(deal("carve_out", REF), [row]), "Change-of-control clause")
    assert risk.domain == "organization"


def test_a_reverse_tsa_is_a_carve_out_risk(engine):
    text = "Under a reverse TSA the business will keep hosting the parent's lab database for 9 months."
    result = discover(engine, "organization", text)
    assert [f.category for f in result.facts if f.category == "reverse_tsa"] == ["reverse_tsa"]
    request = ReasoningRequest(deal=deal("carve_out", REF), domain="organization", facts=fact_records(result.facts), gaps=[])
    findings = engine.reason(request).findings
    assert [f.title for f in findings if "Reverse TSA" in f.title] == ["Reverse TSA: services the target must provide to the seller"]


# -- a coverage figure under a title that names the control ----------------------------------------------------


@pytest.mark.parametrize(
    "title, domain, category, pct",
    [
        ("Endpoint detection and response", "cybersecurity", "edr", 64),
        ("Two-step sign-in", "identity_access", "mfa", 83),
    ],
)
def test_a_coverage_figure_takes_its_control_from_the_title_line_above(engine, title, domain, category, pct):
    text = f"Access overview\n\n{title}\n\nThe vendor's agent is the approved tool. Enrolment stands at {pct}% of company laptops.\n"
    facts = [f for f in discover(engine, domain, text).facts if f.category == category]
    assert [(f.details["status"], f.details.get("coverage_pct"), f.evidence) for f in facts] == [
        ("partial", pct, f"Enrolment stands at {pct}% of company laptops.")
    ]


def test_a_coverage_figure_under_a_title_naming_no_control_is_no_control_fact(engine):
    text = "Plant floor\n\nEnrolment stands at 64% of company laptops.\n"
    for domain in ("cybersecurity", "identity_access", "infrastructure"):
        assert not [f for f in discover(engine, domain, text).facts if "control" in f.details]


# -- key people named by their row, or by a first name the people table gives in full -----------------------


def test_a_people_row_names_its_own_person_not_the_manager_it_reports_to():
    row = fact("target", "organization", "staff", "Row", "name: Józef Kałuża; role: DBA; reports_to: M. Brandt; knowledge: sole admin of the Oracle estate",
               columns={"name": "Józef Kałuża", "role": "DBA", "reports_to": "M. Brandt", "knowledge": "sole admin of the Oracle estate"})
    titles_ = [f.title for f in reason_deal(deal("carve_out", REF), [row]) if f.title.startswith("Key-person")]
    assert titles_ == ["Key-person dependency: Józef Kałuża"]


def test_a_first_name_in_notes_is_the_person_the_people_table_names_in_full():
    row = fact("target", "organization", "staff", "Row", "name: Ingrid Solberg; role: Payroll analyst",
               columns={"name": "Ingrid Solberg", "role": "Payroll analyst"}, doc=1)
    note = fact("target", "organization", "note", "Note", "Ingrid is the only person who can run the payroll close.", doc=2)
    titles_ = [f.title for f in reason_deal(deal("carve_out", REF), [row, note]) if f.title.startswith("Key-person")]
    assert titles_ == ["Key-person dependency: Ingrid Solberg"]
    # two people of that first name: the note names nobody for sure
    other = fact("target", "organization", "staff", "Row2", "name: Ingrid Berg; role: Buyer", columns={"name": "Ingrid Berg", "role": "Buyer"}, doc=3)
    titles_ = [f.title for f in reason_deal(deal("carve_out", REF), [row, other, note]) if f.title.startswith("Key-person")]
    assert titles_ == ["Key-person dependency: person not named"]


# -- the end-user device inventory topic ----------------------------------------------------------------------


def _device_topic(text):
    [status] = [s for s in evaluate_checklist("infrastructure", [page(text)], "carve_out", entity="target")
                if s.topic_id == "end_user_devices"]
    return status


@pytest.mark.parametrize(
    "text",
    [
        "EDR: the agent runs on 100% of servers and endpoints.",
        "Roughly 300 PCs in the warehouses still run Windows 10.",
        "Shop-floor terminals: around 90 workstations, count to be verified.",
    ],
)
def test_a_mention_or_an_approximate_count_of_devices_is_no_device_inventory(text):
    assert not _device_topic(text).answered


@pytest.mark.parametrize(
    "text",
    [
        "The company runs 1,240 laptops and 310 desktops, all on Windows 11.",
        "Asset tag: LT-0042; Device type: Laptop; OS: Windows 11 23H2; Assigned to: Finance",
        "The Intune export (attached) lists every managed device.",
    ],
)
def test_a_device_inventory_or_a_stated_count_answers_it(text):
    assert _device_topic(text).answered


def test_a_title_line_far_above_no_longer_names_the_topic(engine):
    filler = " ".join(f"Item {n} is described in the annex." for n in range(12))
    text = f"Two-step sign-in\n\n{filler} Enrolment stands at 83% of company laptops.\n"
    assert not [f for f in discover(engine, "identity_access", text).facts if f.category == "mfa"]
