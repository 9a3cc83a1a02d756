"""Tables read as tables, and gaps the documents state themselves, on texts written for these tests in
several phrasings and layouts (CSV with `,` and `;`, XLSX with a title row, markdown and Word tables),
none of them taken from the sample deal's wording."""
from __future__ import annotations

import datetime as dt
import io

import docx
import openpyxl
import pytest

from dealiq.documents.extract import extract_document
from dealiq.domains import DOMAIN_KEYS
from dealiq.engines.offline import OfflineEngine
from dealiq.grounding import normalise_text
from dealiq.schemas import DiscoveryRequest, SourcePage

from . import deal

REFERENCE = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def engine():
    return OfflineEngine()


def pages_of(filename: str, data: bytes, document_id: int = 1) -> list[SourcePage]:
    extracted = extract_document(filename, data)
    return [SourcePage(document_id, n, text, filename, "target") for n, text in enumerate(extracted.pages, 1)]


def run(engine, pages: list[SourcePage]):
    """Discovery in every domain: {domain: result}."""
    return {
        domain: engine.discover(DiscoveryRequest(deal=deal("acquisition", REFERENCE), domain=domain, entity="target", pages=pages))
        for domain in DOMAIN_KEYS
    }


def all_facts(results):
    return [f for r in results.values() for f in r.facts]


def all_gaps(results):
    return [g for r in results.values() for g in r.gaps]


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def word(paragraphs_before: list[str], table: list[list[str]], paragraphs_after: list[str] = ()) -> bytes:
    document = docx.Document()
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    for text in paragraphs_after:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def assert_grounded(results, pages):
    by_page = {(p.document_id, p.page_number): normalise_text(p.text) for p in pages}
    for item in all_facts(results) + [g for g in all_gaps(results) if g.evidence]:
        assert normalise_text(item.evidence) in by_page[(item.document_id, item.pages[0])], item


# -- tables: one fact per row, in the row's domain ----------------------------------------------------------


NETWORK_KIT = [
    ["Asset register – network equipment"],
    [],
    ["Device ID", "Vendor / model", "Software", "Location", "Function"],
    ["EDGE-FW-A", "FortiGate 100F", "FortiOS 7.4.1", "Leeds", "Internet firewall"],
    ["EDGE-FW-B", "FortiGate 100F", "FortiOS 7.4.1", "Leeds", "Internet firewall (standby)"],
    ["CORE-SW-1", "Aruba CX 6300", "10.13", "Leeds", "Core switch"],
    ["WLC-01", "Meraki MR46", None, "York", "Wireless access point"],
]


def test_xlsx_inventory_rows_become_one_network_fact_each_with_columns_as_details(engine):
    pages = pages_of("kit.xlsx", xlsx({"Kit": NETWORK_KIT}))
    results = run(engine, pages)
    network = results["network"].facts
    for device in ("EDGE-FW-A", "EDGE-FW-B", "CORE-SW-1", "WLC-01"):
        rows = [f for f in network if device in f.evidence and f.details.get("columns")]
        assert rows, f"{device} has no fact"
        assert rows[0].details["columns"]["Device ID"] == device
    assert not [f for f in all_facts(results) if f.domain != "network" and "EDGE-FW" in f.evidence]
    # the title above the header is text, not the header
    assert "Device ID: EDGE-FW-A" in pages[0].text
    assert_grounded(results, pages)


def test_markdown_and_word_tables_with_other_headers_read_the_same_way(engine):
    markdown = (
        "## Identity platforms\n\n"
        "| Service | Tool | Accounts covered | Administered by |\n"
        "|---|---|---|---|\n"
        "| Workforce identity | Ping Identity | 410 | Infra team |\n"
        "| Secrets vault | HashiCorp Vault | 35 | |\n"
        "| Directory | OpenLDAP 2.4 | 410 | Infra team |\n"
    )
    word_pages = pages_of("estate.docx", word(
        ["Compute estate"],
        [["Host name", "Operating system", "vCPU", "Purpose"],
         ["lx-app-01", "Debian 11", "8", "Order portal"],
         ["lx-app-02", "Debian 11", "8", "Order portal"],
         ["lx-db-01", "", "16", "Orders database"]],
    ), document_id=2)
    pages = [SourcePage(1, 1, markdown, "identity.md", "target"), *word_pages]
    results = run(engine, pages)
    ia = " ".join(f.evidence for f in results["identity_access"].facts)
    assert "Secrets vault" in ia and "Directory" in ia
    infra = [f for f in results["infrastructure"].facts if f.details.get("rule") == "table_row"]
    assert {f.details["columns"]["Host name"] for f in infra} >= {"lx-app-01", "lx-app-02", "lx-db-01"}
    # blank cells are gaps, quoted with their row
    blanks = {g.description.split(":")[0] for g in all_gaps(results) if g.category == "blank_cell"}
    assert "lx-db-01" in blanks and "Secrets vault" in blanks
    assert_grounded(results, pages)


def test_people_table_is_organisation_even_when_rows_name_systems(engine):
    text = (
        "| Team member | Position | FTE | Looks after |\n|---|---|---|---|\n"
        "| Priya Nair | Applications lead | 1 | Dynamics 365, Power BI |\n"
        "| Tomás Ruiz | Network engineer | 1 | Firewalls and Wi-Fi |\n"
        "| Hana Sato | Service desk analyst | 2 | Tickets, laptops |\n"
    )
    results = run(engine, [SourcePage(1, 1, text, "team.md", "target")])
    people = [f for f in results["organization"].facts if f.details.get("rule") == "table_row"]
    assert {f.details["columns"]["Team member"] for f in people} == {"Priya Nair", "Tomás Ruiz", "Hana Sato"}


# -- ragged rows, duplicates, totals -----------------------------------------------------------------------


def test_a_csv_row_with_an_extra_field_is_reported_not_shifted(engine):
    csv_text = (
        "Provider;Service;Yearly cost;Ends\n"
        "Northwind Hosting;Colocation, two racks;48000;2027-01-31\n"
        "Contoso MSP;Managed service desk; 24x7 option;120000;2026-12-31\n"
    ).encode()
    pages = pages_of("suppliers.csv", csv_text)
    assert "Row 3 has 5 fields, the header 4: Contoso MSP | Managed service desk |" in pages[0].text
    results = run(engine, pages)
    ragged = [g for g in all_gaps(results) if g.category == "ragged_row"]
    assert len(ragged) == 1 and "5 fields where the header has 4" in ragged[0].description
    assert ragged[0].evidence.startswith("Row 3 has 5 fields") and ragged[0].pages == [1]
    # the values were not paired with the wrong headers
    assert not any("Yearly cost: 2026-12-31" in f.evidence for f in all_facts(results))


def test_duplicate_identifiers_and_a_total_that_disagrees_become_facts(engine):
    sheets = {"Laptops": [
        ["Serial number", "Model", "User", "Purchased"],
        ["5CG1234", "Latitude 5440", "a.berg", "2023-04-01"],
        ["5CG9876", "Latitude 5440", "j.holm", "2023-04-01"],
        ["5CG1234", "Latitude 5440", "k.lind", "2024-02-11"],
        ["Total", 4],
    ]}
    results = run(engine, pages_of("devices.xlsx", xlsx(sheets)))
    infra = {f.category: f for f in results["infrastructure"].facts}
    assert "5CG1234 listed 2 times" in infra["duplicate_rows"].item
    assert infra["count_mismatch"].details["stated"] == 4 and infra["count_mismatch"].details["listed"] == 3


def test_a_total_that_matches_its_rows_is_no_finding(engine):
    text = "| Site | Users |\n|---|---|\n| Oslo | 120 |\n| Bergen | 80 |\n| Total | 200 |\n"
    results = run(engine, [SourcePage(1, 1, text, "sites.md", "target")])
    assert not [f for f in all_facts(results) if f.category in ("count_mismatch", "duplicate_rows")]


# -- gaps the documents state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, domain, kind",
    [
        ("Firewall rule base review: to be confirmed by the vendor.", "network", "placeholder"),
        ("WAN topology drawings can be provided upon request.", "network", "on_request"),
        ("Backup restore test evidence — TBC", "infrastructure", "placeholder"),
        ("The privileged account list has not been provided.", "identity_access", "not_provided"),
        ("Vulnerability scan results will be made available after signing.", "cybersecurity", "on_request"),
        ("Factory OT networks are outside the scope of this review.", "network", "out_of_scope"),
        ("Business continuity plan (last reviewed in 2019).", "infrastructure", "stale"),
        ("IT budget 2026: awaiting input from finance.", "organization", "placeholder"),
    ],
)
def test_statements_of_a_gap_become_gaps_with_their_quote_document_and_page(engine, line, domain, kind):
    text = f"# Notes from the management session\n\nThe estate is stable.\n\n{line}\n"
    page = SourcePage(7, 3, text, "session-notes.txt", "target")
    results = run(engine, [page])
    stated = [g for g in all_gaps(results) if g.evidence and line.startswith(g.evidence.rstrip(".")[:20])]
    assert stated, f"no gap for {line!r}: {[g.description for g in all_gaps(results)]}"
    gap = stated[0]
    assert gap.domain == domain
    assert gap.document_id == 7 and gap.pages == [3]
    assert gap.evidence in text and "session-notes.txt p.3" in gap.description
    assert gap.category.startswith("stated_") or gap.category in {t for t in _topic_ids(domain)}
    if gap.category.startswith("stated_"):
        assert gap.category == f"stated_{kind}"


def _topic_ids(domain):
    from dealiq.checklist import checklist_topics

    return [t.id for t in checklist_topics(domain)]


def test_recent_dates_and_plain_statements_are_no_gaps(engine):
    text = (
        "Policy last reviewed in March 2026.\n\n"
        "Firewalls are managed by the infrastructure team.\n\n"
        "Backups run nightly to an immutable store.\n"
    )
    results = run(engine, [SourcePage(1, 1, text, "policy.md", "target")])
    assert not [g for g in all_gaps(results) if g.evidence]


def test_a_tbd_cell_names_its_row_and_column(engine):
    csv_text = b"Application,Owner,Version,Hosting\nPayroll Pro,HR,5.2,SaaS\nLabTrack,Quality,TBD,On premises\nDocuVault,Legal,3.1,SaaS\n"
    results = run(engine, pages_of("apps.csv", csv_text))
    gap = next(g for g in all_gaps(results) if "LabTrack" in g.description)
    assert gap.domain == "applications" and gap.description.startswith("LabTrack – Version")


def test_analysing_twice_gives_identical_keys(engine):
    pages = pages_of("kit.xlsx", xlsx({"Kit": NETWORK_KIT}))
    first, second = run(engine, pages), run(engine, pages)
    assert [f.key for f in all_facts(first)] == [f.key for f in all_facts(second)]
    assert [g.key for g in all_gaps(first)] == [g.key for g in all_gaps(second)]


def test_a_stated_server_count_is_reconciled_with_the_inventory_rows(engine):
    overview = SourcePage(1, 1, "The company operates about 12 virtual servers in a colocation cage.", "overview.md", "target")
    csv_text = "Server name,OS,Role\n" + "".join(f"app-{i:02d},Ubuntu 22.04,Web\n" for i in range(9))
    inventory = pages_of("hosts.csv", csv_text.encode(), document_id=2)
    results = run(engine, [overview, *inventory])
    values = sorted(f.details["value"] for f in results["infrastructure"].facts if f.details.get("measure") == "server_total")
    assert values == [9, 12]
    from dealiq.engines.offline import fact_records
    from dealiq.reasoning import reason_deal

    # Conflicting figures are the deal-level layer's (dealiq/reasoning), over every domain's facts.
    findings = reason_deal(deal("acquisition", REFERENCE), fact_records(results["infrastructure"].facts))
    assert any(f.title.startswith("Conflicting figures: total server count") for f in findings)


def test_an_inventory_that_agrees_with_the_stated_count_adds_no_count_fact(engine):
    overview = SourcePage(1, 1, "In total 9 servers run the platform.", "overview.md", "target")
    csv_text = "Hostname,Operating system\n" + "".join(f"db-{i},RHEL 9\n" for i in range(9))
    results = run(engine, [overview, *pages_of("hosts.csv", csv_text.encode(), document_id=2)])
    assert not [f for f in results["infrastructure"].facts if f.category == "inventory_count"]


# -- registers in running text, wrapped paragraphs, questionnaires ---------------------------------------------


def test_numbered_register_items_in_a_report_are_one_fact_each_with_their_wrapped_lines(engine):
    text = (
        "4. Findings\n"
        "ID Rating Finding\n"
        "VX-1 High Remote desktop gateway exposes RDP without MFA; 12 contractor\n"
        "accounts can log in with a password only\n"
        "VX-2 Medium Core switches run firmware without vendor support\n"
        "VX-3 Low Endpoint agent missing on 4 kiosk PCs\n"
        "5. Next steps\n"
    )
    pages = [SourcePage(3, 2, text, "assessment.pdf", "target")]
    results = run(engine, pages)
    items = {f.details["id"]: f for f in all_facts(results) if f.details.get("rule") == "register_item"}
    assert set(items) == {"VX-1", "VX-2", "VX-3"}
    assert "contractor accounts can log in" in items["VX-1"].item  # the wrapped line belongs to its item
    assert items["VX-1"].domain == "identity_access" and items["VX-2"].domain == "network"
    assert_grounded(results, pages)


def test_a_single_coded_line_is_no_register():
    from dealiq.rules.units import split_page

    units = split_page(SourcePage(1, 1, "AB-12 is the room number of the server room.\n", "notes.txt", "target"))
    assert not [u for u in units if u.register_id]


def test_a_statement_wrapped_over_two_lines_keeps_its_subject(engine):
    text = (
        "3. Network: the carrier has confirmed the new fibre circuits for the two depots, but\n"
        "   the delivery date is still to be confirmed by the carrier.\n"
    )
    page = SourcePage(1, 1, text, "meeting-notes.txt", "target")
    results = run(engine, [page])
    gap = next(g for g in all_gaps(results) if g.evidence)
    assert gap.domain == "network" and "fibre circuits" in gap.evidence and gap.pages == [1]
    assert_grounded(results, [page])


def test_questionnaire_rows_are_read_by_the_rules_not_repeated_as_row_facts(engine):
    markdown = (
        "| Ref | Question | Response |\n|---|---|---|\n"
        "| S1 | Is EDR deployed on all endpoints? | Yes, SentinelOne on all 300 laptops |\n"
        "| S2 | Is there a cyber insurance policy? | Awaiting renewal terms from the broker |\n"
    )
    results = run(engine, [SourcePage(1, 1, markdown, "questionnaire.md", "target")])
    assert not [f for f in all_facts(results) if f.details.get("rule") == "table_row"]
    assert any(g.evidence.startswith("| S2") for g in all_gaps(results))


def test_a_contract_read_from_an_application_inventory_row_is_an_application_fact(engine):
    csv_text = (
        b"Application,Business use,Hosting,Contract end\n"
        b"RouteMaster,Fleet routing,Hosted in Azure by the vendor,2027-09-30\n"
        b"PayFlow,Payroll,SaaS,2028-01-31\n"
    )
    results = run(engine, pages_of("applications.csv", csv_text))
    contracts = [f for f in all_facts(results) if f.category == "contract" and "RouteMaster" in f.evidence]
    assert contracts and {f.domain for f in contracts} == {"applications"}
