"""Claims and their refutations, and one finding per risk: the general classes behind the evaluation
rooms' missing contradiction sides and noisy findings, each on texts written for these tests (other
companies, products and wordings than any sample or evaluation room).

- a claim (a control "in place", a release in use) made by two documents is two facts, each with its source;
- a contract line or register row about an application of the entity's own inventory is an applications fact;
- certification schemes beyond the big three, negative statements included;
- a site count with a qualifier in running text, never a service's scope in a register row;
- a release stated as retired is a claim, linked `contradicts` in the estate's risk when another document
  still lists it;
- contracts of one domain ending near close are one risk; licences under one holder's programme are one risk;
- a buyer's integration rule is a requirement, not a side of a contradiction (an audit nonconformity is).
"""
from __future__ import annotations

import datetime as dt

import pytest

from dealiq.documents.extract import extract_document
from dealiq.engines.offline import OfflineEngine
from dealiq.reasoning import reason_deal
from dealiq.schemas import FactRecord, SourcePage

from . import deal, discover, page

REF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def engine():
    return OfflineEngine()


def fact(entity, domain, category, item, evidence, doc=1, **details) -> FactRecord:
    key = f"{entity}-{domain}-{category}-{item}-{doc}"
    return FactRecord(key, entity, domain, category, item, {"source_file": f"doc{doc}.pdf", **details}, evidence, doc, (1,))


def link_types(finding):
    return {l.fact_key: l.link_type for l in finding.links}


def file_page(filename: str, text: str, document_id: int) -> SourcePage:
    """A page as extraction gives it (a CSV's rows as `header: value; …`)."""
    [extracted] = extract_document(filename, text.encode()).pages
    return SourcePage(document_id, 1, extracted, filename, "target")


# -- a claim made by two documents is two facts ---------------------------------------------------------


def test_a_control_claim_in_two_documents_keeps_each_source(engine):
    overview = "Remote staff sign in through the Zscaler client; multi-factor authentication is enforced for everyone."
    survey = "Ref | Question | Reply\nS-4 | Do all users authenticate with MFA? | Yes, enforced for all staff"
    found = discover(engine, "identity_access", overview, survey)
    mfa = [f for f in found.facts if f.details.get("control") == "mfa"]
    assert {f.document_id for f in mfa} == {1, 2}
    assert len({f.key for f in mfa}) == 2
    # the same claim repeated inside one document stays one fact
    again = discover(engine, "identity_access", overview + "\n\n" + overview.replace("Remote staff", "Field staff"))
    assert len([f for f in again.facts if f.details.get("control") == "mfa"]) == 1


def test_a_release_named_by_two_documents_keeps_each_source(engine):
    inventory = "Component | Version\nBilling API | Java 8 on Tomcat 8.5"
    mail = "Between us: the billing API still runs Java 8, the rewrite never shipped."
    found = discover(engine, "applications", inventory, mail)
    java = [f for f in found.facts if f.details.get("product") == "oracle-jdk"]
    assert {f.document_id for f in java} == {1, 2}


# -- a contract about an inventory application is an applications fact -----------------------------------


APP_INVENTORY = (
    "App ID,Application,Vendor,Business function,Hosting\n"
    "A-01,TrackPoint Dispatch,Orbital Routing Ltd,Dispatch and routing,SaaS\n"
    "A-02,Ledgerline,Abacus Soft,Finance,On-premises\n"
    "A-03,Crewbook,Shiftware Inc,Rostering,SaaS\n"
)


def test_a_contract_line_naming_an_inventory_application_is_an_applications_fact(engine):
    from dealiq.schemas import DiscoveryRequest

    pages = [
        file_page("apps.csv", APP_INVENTORY, 1),
        page("- TrackPoint Dispatch: the subscription with Orbital is up for renewal on 31 March 2027.", "notes.txt", document_id=2),
        page("- The cleaning company contract renews on 31 March 2027.", "notes2.txt", document_id=3),
    ]

    def facts_of(domain):
        return engine.discover(DiscoveryRequest(deal=deal("merger", REF), domain=domain, entity="target", pages=pages)).facts

    apps = [f for f in facts_of("applications") if f.document_id == 2]
    assert any(f.category == "contract" for f in apps)
    assert not any(f.document_id == 2 and f.category == "contract" for f in facts_of("organization"))
    # a contract naming no inventory application stays where its words put it
    assert not any(f.document_id == 3 for f in facts_of("applications"))


def test_a_contract_register_row_for_an_inventory_vendor_is_an_applications_row(engine):
    from dealiq.schemas import DiscoveryRequest

    register = (
        "Supplier,Scope,Annual fee,Ends,Assignment\n"
        "Orbital Routing Ltd,Dispatch subscription and support,48000,2028-05-31,Assignable\n"
        "Brightmop Facilities,Office cleaning,12000,2028-01-31,Assignable\n"
    )
    pages = [file_page("apps.csv", APP_INVENTORY, 1), file_page("supplier-register.csv", register, 2)]
    by_domain = {
        d: [f for f in engine.discover(DiscoveryRequest(deal=deal("merger", REF), domain=d, entity="target", pages=pages)).facts
            if f.document_id == 2]
        for d in ("applications", "organization")
    }
    assert any("Orbital Routing" in f.item for f in by_domain["applications"])
    assert not any("Orbital Routing" in f.item for f in by_domain["organization"])
    assert not any("Brightmop" in f.item for f in by_domain["applications"])


# -- certification schemes, negative statements ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, scheme, status",
    [
        ("The clinic group is not HITRUST certified; an i1 readiness review started in May.", "HITRUST", "absent"),
        ("Hosting is HITRUST r2 certified since 2024.", "HITRUST", "present"),
        ("Our ISO 22301 certificate covers both data centres.", "ISO 22301", "present"),
        ("The platform does not hold a FedRAMP authorisation.", "FedRAMP", "absent"),
    ],
)
def test_certification_schemes_beyond_iso_and_soc(engine, text, scheme, status):
    found = discover(engine, "cybersecurity", text)
    certs = {f.details.get("certification"): f.details.get("status") for f in found.facts if f.category == "certification"}
    assert certs.get(scheme) == status


# -- site counts with a qualifier ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, count",
    [
        ("The chain trades from **27 garden-centre locations** in the north.", 27),
        ("We operate 8 cold-store sites and a head office.", 8),
    ],
)
def test_a_site_count_with_a_qualifier_in_running_text(engine, text, count):
    found = discover(engine, "network", text)
    assert [f.details["value"] for f in found.facts if f.details.get("measure") == "site_count"] == [count]


def test_a_subset_is_not_the_site_count(engine):
    found = discover(engine, "network", "Only 3 of 27 garden-centre sites have a second line.")
    assert [f.details.get("value") for f in found.facts if f.details.get("measure") == "site_count"] == [27]


@pytest.mark.parametrize(
    "text",
    [
        "Provider: Kestrel Telecom; Service: SD-WAN (6 northern depot sites); Ends: 2028-02-01",
        "Application: Yardmaster; Scope: yard management - 4 cross-dock sites; Users: 60",
    ],
)
def test_a_services_scope_in_a_register_row_is_not_the_site_count(engine, text):
    found = discover(engine, "network", text)
    assert not [f for f in found.facts if f.details.get("measure") == "site_count"]


# -- a release stated as retired ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Every CentOS 7 box was decommissioned during the 2024 platform refresh.",
        "Windows Server 2008 R2 is no longer in use anywhere in the estate.",
        "The remaining SQL Server 2012 instances have been retired.",
    ],
)
def test_a_release_stated_as_retired_is_a_claim_not_an_estate(engine, text):
    found = discover(engine, "infrastructure", text)
    [claim] = [f for f in found.facts if f.details.get("rule") == "eol_catalogue"]
    assert claim.details["lifecycle_claim"] == "retired" and claim.item.endswith("stated as retired")
    findings = reason_deal(deal("acquisition", REF), [fact_record(claim)])
    assert not [f for f in findings if f.details.get("rule") == "eol_platform_family"]


@pytest.mark.parametrize(
    "text",
    ["CentOS 7 will be decommissioned by the end of 2027.", "We plan to retire Windows Server 2012 R2 next year."],
)
def test_a_planned_retirement_is_not_a_claim_that_it_is_gone(engine, text):
    found = discover(engine, "infrastructure", text)
    assert not any(f.details.get("lifecycle_claim") for f in found.facts)


def fact_record(f, ref="F1") -> FactRecord:
    return FactRecord(f.key, f.entity, f.domain, f.category, f.item, dict(f.details), f.evidence, f.document_id, tuple(f.pages), ref)


def test_a_retirement_claim_another_document_refutes_is_linked_in_the_estates_risk(engine):
    claim_text = "All Windows Server 2012 R2 hosts were decommissioned in 2025 under project Tidy."
    inventory = "Host,OS,Role\nfs-01,Windows Server 2012 R2,File server\nap-02,Windows Server 2012 R2,Print\n"
    from dealiq.schemas import DiscoveryRequest

    pages = [page(claim_text, "overview.md", document_id=1), file_page("servers.csv", inventory, 2)]
    found = engine.discover(DiscoveryRequest(deal=deal("acquisition", REF), domain="infrastructure", entity="target", pages=pages))
    records = [fact_record(f, f"F{i}") for i, f in enumerate(found.facts, 1)]
    [estate] = [f for f in reason_deal(deal("acquisition", REF), records) if f.details.get("rule") == "eol_platform_family"]
    links = link_types(estate)
    claims = [r for r in records if r.details.get("lifecycle_claim")]
    listed = [r for r in records if r.document_id == 2 and r.details.get("product") == "windows-server"]
    assert claims and listed
    assert all(links[r.key] == "contradicts" for r in claims + listed)
    assert "retired" in estate.description and estate.severity in ("high", "critical")


def test_a_models_fact_saying_a_release_was_retired_is_not_a_running_estate():
    said = fact("target", "infrastructure", "operating_system", "Windows Server 2008 R2",
                "Windows Server 2008 R2 was fully retired last spring.", product="Windows Server 2008 R2")
    assert not [f for f in reason_deal(deal("acquisition", REF), [said]) if f.details.get("rule") == "eol_platform_family"]


# -- one finding per risk -------------------------------------------------------------------------------------


def test_contracts_of_one_domain_ending_near_close_are_one_risk():
    a = fact("target", "applications", "contract", "Dispatch subscription", "The TrackPoint subscription with Orbital Routing ends 2027-01-31.", party="Orbital Routing")
    b = fact("target", "applications", "contract", "Rostering", "Crewbook licence runs until 28 February 2027.", party="Shiftware", doc=2)
    wan = fact("target", "network", "contract", "WAN", "The MPLS service from Kestrel Telecom expires on 15 January 2027.", party="Kestrel Telecom", doc=3)
    findings = reason_deal(deal("acquisition", REF), [a, b, wan])
    near = [f for f in findings if f.details.get("rule") == "contract_near_completion"]
    assert sorted(f.domain for f in near) == ["applications", "network"]
    [apps] = [f for f in near if f.domain == "applications"]
    assert "Orbital Routing" in apps.title and "Shiftware" in apps.title
    assert {a.key, b.key} <= set(link_types(apps))
    [network] = [f for f in near if f.domain == "network"]
    assert network.title == "Contract ends near close: Kestrel Telecom"
    # the renewal plan still lists all three
    [plan] = [f for f in findings if f.details.get("rule") == "contract_renewal_plan"]
    assert {a.key, b.key, wan.key} <= set(link_types(plan))


def test_licences_held_under_one_holders_programme_are_one_risk():
    rows = [
        fact("target", "cybersecurity", "contract", f"{vendor} licence",
             f"Vendor: {vendor}; Service: {service}; Contract holder: Larchmont Equity (portfolio scheme); Notes: non-transferable",
             doc=i, vendor=vendor, contract_holder="Larchmont Equity (portfolio scheme)")
        for i, (vendor, service) in enumerate((("SentinelOne", "EDR for 400 endpoints"), ("Proofpoint", "Mail filtering")), 1)
    ]
    findings = [f for f in reason_deal(deal("acquisition", REF), rows) if f.details.get("rule") == "licence_not_transferable"]
    [risk] = findings
    assert "Larchmont Equity" in risk.title
    assert "SentinelOne" in risk.description and "Proofpoint" in risk.description
    assert {r.key for r in rows} <= set(link_types(risk))


def test_a_buyers_integration_rule_is_not_a_side_of_a_contradiction():
    state = fact("buyer", "cybersecurity", "security_monitoring", "SOC", "Our SOC runs Sentinel around the clock.", doc=1,
                 control="siem", status="present")
    rule_text = "IR-9 Acquired companies forward security logs to Sentinel from day 45."
    rule = fact("buyer", "cybersecurity", "integration_rule", "Buyer rule IR-9", rule_text, doc=2, rule="buyer_numbered_rule")
    read_as_state = fact("buyer", "cybersecurity", "security_monitoring", "SIEM: partial", rule_text, doc=2,
                         rule="siem_soc", control="siem", status="partial")
    findings = reason_deal(deal("acquisition", REF), [state, rule, read_as_state])
    assert not [f for f in findings if f.details.get("rule") == "conflicting_statements"]
    # an audit's nonconformity, numbered like a rule, is a state and does contradict the claim
    audit_text = "NC-2 Minor: security logs of two subsidiaries are not collected by the SOC (audit sample)."
    nc = fact("buyer", "cybersecurity", "integration_rule", "Buyer rule NC-2", audit_text, doc=3, rule="buyer_numbered_rule")
    nc_state = fact("buyer", "cybersecurity", "security_monitoring", "SIEM: partial coverage", audit_text, doc=3,
                    rule="siem_soc", control="siem", status="partial")
    findings = reason_deal(deal("acquisition", REF), [state, nc, nc_state])
    [conflict] = [f for f in findings if f.details.get("rule") == "conflicting_statements"]
    assert link_types(conflict)[state.key] == "contradicts" and link_types(conflict)[nc_state.key] == "contradicts"


# -- documents the room dates years back; periods that say which contracts, not by when -----------------------


def test_a_release_named_only_by_a_document_dated_years_back_is_not_the_running_estate(engine):
    from dealiq.schemas import DiscoveryRequest

    old = "# Hosting design\n\nVersion 0.9 - last reviewed: 3 February 2019\n\nThe file cluster runs Windows Server 2008 R2 on two nodes."
    current = "# Server list\n\nThe print servers run Windows Server 2012 R2 (4 servers)."
    pages = [page(old, "hosting-design.md", document_id=1), page(current, "servers.md", document_id=2)]
    found = engine.discover(DiscoveryRequest(deal=deal("acquisition", REF), domain="infrastructure", entity="target", pages=pages))
    stale = [f for f in found.facts if f.details.get("stale_document")]
    assert [f.details["product"] for f in stale] == ["windows-server"] and "2008" in stale[0].item
    assert stale[0].details["stale_document"] == "2019-02-03"
    records = [fact_record(f, f"F{i}") for i, f in enumerate(found.facts, 1)]
    [estate] = [f for f in reason_deal(deal("acquisition", REF), records) if f.details.get("rule") == "eol_platform_family"]
    assert estate.details["releases"] == ["Windows Server 2012 R2"]
    # the same document, dated recently, is evidence of the estate
    fresh = old.replace("3 February 2019", "3 February 2026")
    found = engine.discover(DiscoveryRequest(deal=deal("acquisition", REF), domain="infrastructure", entity="target",
                                             pages=[page(fresh, "hosting-design.md", document_id=1)]))
    assert not any(f.details.get("stale_document") for f in found.facts)


def test_a_period_that_says_which_contracts_is_not_a_migration_deadline():
    which = fact("buyer", "organization", "integration_rule", "Gate G1",
                 "G1 Signing: supplier agreements expiring within 4 months of completion need an agreed renewal and integration plan.")
    deadline = fact("buyer", "applications", "integration_rule", "IR-7",
                    "IR-7 The acquired company's mailboxes move to our tenant within 60 days of completion.", doc=2)
    timelines = [f for f in reason_deal(deal("acquisition", REF), [which, deadline]) if f.details.get("rule") == "buyer_timeline"]
    assert [list(link_types(f)) for f in timelines] == [[deadline.key]]


# -- people leaving, contractors holding a system, incidents in mail, questionnaire "No" answers ---------------


def _all_domains(engine, *texts, entity="target", deal_type="merger"):
    from dealiq.domains import DOMAIN_KEYS

    return [f for d in DOMAIN_KEYS for f in discover(engine, d, *texts, entity=entity, deal_type=deal_type, reference_date=REF).facts]


def test_a_departure_in_meeting_notes_is_a_leadership_gap(engine):
    notes = ("Attendees: Ines Duarte (CIO), Bram Keller (CISO)\n\n"
             "- BK told us he has resigned and his last working day is 31 January 2027.\n\n"
             "- An interim CISO has not yet been appointed.")
    facts = _all_domains(engine, notes, entity="buyer")
    assert [f for f in facts if f.category == "staff_change"]
    records = [fact_record(f, f"F{i}") for i, f in enumerate(facts, 1)]
    gaps = [f for f in reason_deal(deal("merger", REF), records) if f.details.get("rule") == "leadership_gap"]
    assert [(g.details["role"], g.details["entity"], g.severity) for g in gaps] == [("CISO", "buyer", "high")]


def test_a_system_run_by_one_contractor_is_a_key_person_risk(engine):
    text = "The EDI gateway was developed and is maintained by one external contractor (Greta Lindholm, hourly rate)."
    facts = _all_domains(engine, text)
    [person] = [f for f in facts if f.category == "key_person"]
    assert person.details["person"] == "Greta Lindholm"
    [risk] = [f for f in reason_deal(deal("merger", REF), [fact_record(person)]) if f.details.get("rule") == "key_person"]
    assert risk.title == "Key-person dependency: Greta Lindholm"


def test_a_summary_line_opening_with_the_headcount_is_the_companys_headcount(engine):
    facts = _all_domains(engine, "- Roughly 950 staff? No: about 1,240 employees across 9 depots")
    assert not [f for f in facts if f.details.get("measure") == "employee_count"]  # not a line that opens with it
    facts = _all_domains(engine, "- About 1,240 employees; 9 depots in two countries")
    assert [f.details["value"] for f in facts if f.details.get("measure") == "employee_count"] == [1240]


@pytest.mark.parametrize(
    "text",
    [
        "In May the finance team lost EUR 40,000 after an e-mail compromise of the controller's mailbox.",
        "We had a mailbox compromise last spring; a supplier's bank details were changed.",
    ],
)
def test_an_email_compromise_in_any_spelling_is_an_incident(engine, text):
    assert [f for f in discover(engine, "cybersecurity", text, reference_date=REF).facts if f.category == "incident"
            and f.details.get("status") != "none_reported"]


QUESTIONNAIRE_LAYOUTS = [
    ("survey.md", "Ref | Question | Answer\n--- | --- | ---\nS-9 | Any cyber attacks or ransomware in the past 3 years? | No\n"),
    ("survey.csv", "Ref,Question,Response\nS-9,Were there any security breaches in the last two years?,None\n"),
]


@pytest.mark.parametrize("filename, text", QUESTIONNAIRE_LAYOUTS)
def test_a_questionnaire_no_to_an_incident_question_is_a_denial_not_an_incident(engine, filename, text):
    from dealiq.schemas import DiscoveryRequest

    questionnaire = file_page(filename, text, 1) if filename.endswith(".csv") else page(text, filename, document_id=1)
    mail = page("Between us: the ransomware attack in March encrypted two file servers.", "mail.txt", document_id=2)
    found = engine.discover(DiscoveryRequest(deal=deal("merger", REF), domain="cybersecurity", entity="target", pages=[questionnaire, mail]))
    incidents = [f for f in found.facts if f.category == "incident"]
    assert [f.details.get("status") for f in incidents if f.document_id == 1] == ["none_reported"]
    records = [fact_record(f, f"F{i}") for i, f in enumerate(found.facts, 1)]
    [undisclosed] = [f for f in reason_deal(deal("merger", REF), records) if f.details.get("rule") == "undisclosed_incident"]
    assert {r.document_id for r in records if link_types(undisclosed).get(r.key) == "contradicts"} == {1, 2}


def test_a_ragged_row_is_still_a_record_named_by_its_values_never_paired_with_headers(engine):
    from dealiq.schemas import DiscoveryRequest

    inventory = (
        "app_id,application,vendor,version,hosting\n"
        "A1,Ledgerline,Abacus,5.2,On-prem\n"
        "A2,Crewbook,Shiftware,SaaS,Cloud,unexpected extra\n"
        "A3,Dispatcher\n"
    )
    pages = [file_page("application-list.csv", inventory, 1)]
    result = engine.discover(DiscoveryRequest(deal=deal("merger", REF), domain="applications", entity="target", pages=pages))
    ragged = {f.details["values"][0]: f for f in result.facts if f.details.get("rule") == "table_row_unpaired"}
    assert set(ragged) == {"A2", "A3"}
    assert ragged["A2"].details["values"][:2] == ["A2", "Crewbook"] and "columns" not in ragged["A2"].details
    assert "Crewbook" in ragged["A2"].item and "Dispatcher" in ragged["A3"].item
    assert len([g for g in result.gaps if g.category == "ragged_row"]) == 2  # still reported as rows that do not fit


@pytest.mark.parametrize(
    "text, count",
    [("Directory: 1,310 enabled AD user accounts for 1,150 staff.", 1310), ("We count 420 active named user accounts in Entra.", 420)],
)
def test_a_user_account_count_with_qualifiers_in_any_order(engine, text, count):
    found = discover(engine, "identity_access", text, reference_date=REF)
    assert [f.details["value"] for f in found.facts if f.details.get("measure") == "user_count"] == [count]


@pytest.mark.parametrize(
    "text, status",
    [
        ("Encryption | Are servers and laptops encrypted at rest? | Partly | FileVault on Macs; no TDE on the billing database", "partial"),
        ("Customer databases are not encrypted at rest.", "absent"),
        ("All laptops use BitLocker full-disk encryption, enforced by Intune.", "present"),
    ],
)
def test_encryption_at_rest_is_a_control_fact(engine, text, status):
    found = discover(engine, "cybersecurity", text, reference_date=REF)
    assert [f.details["status"] for f in found.facts if f.details.get("control") == "encryption_at_rest"] == [status]


def test_a_statement_about_business_associate_or_processing_agreements_is_a_security_matter(engine):
    text = ("F-3 Processor contracts: signed data processing agreements exist for 5 of 9 vendors; missing for Loomly and Parcelio.\n"
            "F-4 Backups of the marketing share are kept for 7 days only.")
    facts = _all_domains(engine, text)
    [item] = [f for f in facts if f.category == "register_item" and "F-3" in f.item]
    assert item.domain == "cybersecurity"


@pytest.mark.parametrize(
    "text, total",
    [
        ("- Server estate: 57 servers (mostly virtual), listed in the CMDB export.", 57),
        ("Servers: approx. 120", 120),
        ("Servers: 12 on Windows Server 2016", None),  # a count per operating system, not the estate
        ("Servers: 40 virtual servers running RHEL 8", None),
    ],
)
def test_a_summary_label_states_the_server_estate(engine, text, total):
    found = discover(engine, "infrastructure", text, reference_date=REF)
    totals = [f.details["value"] for f in found.facts if f.details.get("measure") == "server_total"]
    assert totals == ([total] if total else [])


@pytest.mark.parametrize(
    "claim",
    [
        "V-2 | Is any software running past its vendor's end of support? | No | estate refreshed in 2024",
        "All servers are on vendor-supported operating systems since the refresh.",
    ],
)
def test_a_claim_that_nothing_is_unsupported_is_refuted_in_the_estates_risk(engine, claim):
    from dealiq.domains import DOMAIN_KEYS
    from dealiq.schemas import DiscoveryRequest

    pages = [page(claim, "questionnaire.md", document_id=1),
             file_page("servers.csv", "Host,OS\nap-01,Windows Server 2008 R2\nap-02,Windows Server 2008 R2\n", 2)]
    facts = [f for d in DOMAIN_KEYS for f in engine.discover(
        DiscoveryRequest(deal=deal("acquisition", REF), domain=d, entity="target", pages=pages)).facts]
    [denial] = [f for f in facts if f.details.get("lifecycle_claim") == "all_supported"]
    records = [fact_record(f, f"F{i}") for i, f in enumerate(facts, 1)]
    [estate] = [f for f in reason_deal(deal("acquisition", REF), records) if f.details.get("rule") == "eol_platform_family"]
    assert link_types(estate)[denial.key] == "contradicts" and "no system is past vendor support" in estate.description


def test_an_admission_of_unsupported_systems_is_no_claim_that_all_are_supported(engine):
    found = discover(engine, "cybersecurity", "3.3 | Are any operating systems out of vendor support? | A few legacy servers, being retired",
                     reference_date=REF)
    assert not [f for f in found.facts if f.details.get("lifecycle_claim") == "all_supported"]
