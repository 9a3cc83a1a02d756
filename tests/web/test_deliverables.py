"""What a deal team sends: the VDR request list (closing the loop when a later run answers a gap), the
formatted workbook and the executive summary PDF (rendered to an image here)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analysis.models import Gap, RunStatus, RunStep, StepStatus, VdrStatus
from analysis.services.finalize import finalize_run
from analysis.services.inputs import deal_context, manifest_pages
from analysis.services.persist import upsert_discovery
from analysis.services.runs import create_run
from audit.models import AuditEvent
from dealiq.engines.offline.engine import OfflineEngine
from dealiq.schemas import DiscoveryRequest
from tests.factories import fact, gap, make_deal, make_document, persist_run

pytestmark = pytest.mark.django_db

DR_TITLE = "Disaster recovery test results (date, scope, RTO/RPO achieved)"


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def xlsx(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def offline_run(deal, domain: str = "infrastructure"):
    """A run of the real offline engine over the deal's target documents, for one domain, finalized."""
    run = create_run(deal, engine="offline", domains=[domain])
    result = OfflineEngine().discover(
        DiscoveryRequest(deal=deal_context(run), domain=domain, entity="target", pages=manifest_pages(run, "target"))
    )
    upsert_discovery(run, result)
    RunStep.objects.filter(run=run).update(status=StepStatus.DONE)
    type(run).objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert finalize_run(run.pk) == RunStatus.COMPLETED
    run.refresh_from_db()
    return run


def test_a_document_added_later_answers_the_gap_and_the_vdr_list_marks_it_answered(client, member):
    deal = make_deal("Project Osprey")
    make_document(deal, "target", ["Infrastructure overview.\nHosting: colocation at Equinix LD5."],
                  filename="infra-overview.txt")
    first = offline_run(deal)
    dr_gap = Gap.objects.get(run=first, category="dr_test_results")
    assert dr_gap.vdr_status == VdrStatus.OPEN and dr_gap.description.startswith(DR_TITLE)

    make_document(deal, "target", ["DR report.", "Results.\nThe DR test of 12 March 2025 failed over all tier-1 systems; RTO of 4 hours achieved."],
                  filename="dr-report-2025.txt")
    second = offline_run(deal)

    answered = Gap.objects.get(run=second, key=dr_gap.key)
    assert answered.vdr_status == VdrStatus.ANSWERED and answered.answered_since_run == first.number
    assert answered.answer_quote.startswith("The DR test of 12 March 2025")
    assert answered.answer_document.filename == "dr-report-2025.txt" and answered.answer_page == 2
    # An answered gap is no longer counted as a gap, and the run's audit event says how many were answered.
    # (The report's "RTO of 4 hours" answers the stated-RTO/RPO request too.)
    assert set(Gap.objects.for_run(second).answered().values_list("category", flat=True)) == {"dr_test_results", "rto_rpo"}
    assert second.gap_count == Gap.objects.for_run(second).unanswered().count() == first.gap_count - 2
    assert AuditEvent.objects.get(run=second, event_type="run.completed").data["gaps_answered"] == 2

    client.force_login(member(deal, "viewer", "osprey-viewer"))
    gaps_page = body(client.get(reverse("analysis:gaps", args=[deal.pk]), {"status": "answered"}))
    assert "answered" in gaps_page and "dr-report-2025.txt p.2" in gaps_page and "The DR test of 12 March 2025" in gaps_page
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("analysis:export_vdr", args=[deal.pk, "csv"]))))))
    dr = next(r for r in rows if r["question"].startswith("Could you please provide the disaster recovery test results"))
    assert dr["status"] == "answered" and dr["answer document"] == "dr-report-2025.txt" and dr["answer page"] == "2"
    assert dr["answered by"].startswith("The DR test of 12 March 2025")
    assert {r["status"] for r in rows} == {"open", "answered"}
    # Requested documents come whole, not split at the commas inside their parentheses.
    inventory = next(r for r in rows if r["question"].startswith("Could you please provide the server inventory"))
    assert inventory["documents requested"] == "Server inventory (hostname, OS and version, role, physical/virtual, location, lifecycle dates)"
    assert [int(r["no"]) for r in rows] == list(range(1, len(rows) + 1))


def test_a_later_fact_answers_a_gap_with_its_quote_document_and_page(client, falcon, people):
    deal, first = falcon[0], falcon[1]
    assert Gap.objects.get(run=first, category="pen_test").vdr_status == VdrStatus.OPEN
    doc = make_document(deal, "target", ["Security.", "The penetration test by NCC in May 2025 found no critical issues."],
                        filename="security-pack.txt")
    pen_fact = fact(doc, "cybersecurity", "pen_test", "Penetration test May 2025",
                    "The penetration test by NCC in May 2025 found no critical issues.", page=2)
    second = persist_run(deal, [pen_fact], [gap("network", "ip_plan", "No IP address plan", "nice_to_have")])
    answered = Gap.objects.get(run=second, category="pen_test")
    assert answered.vdr_status == VdrStatus.ANSWERED and answered.answer_fact.item == "Penetration test May 2025"
    assert (answered.answer_document_id, answered.answer_page) == (doc.pk, 2)
    # The gaps with nothing to answer them (DR evidence) just stay out of the new run, as before.
    assert not Gap.objects.filter(run=second, category="dr").exists()

    client.force_login(people["viewer"])
    vdr = xlsx(client.get(reverse("analysis:export_vdr", args=[deal.pk, "xlsx"])))["VDR requests"]
    header = [c.value for c in vdr[1]]
    status = {vdr.cell(r, header.index("Question to the seller") + 1).value: vdr.cell(r, header.index("Status") + 1).value
              for r in range(2, vdr.max_row + 1)}
    assert status == {"Could you please provide the penetration test report?": "Answered",
                      "Could you please provide the IP addressing plan?": "Open"}


def test_workbook_has_styled_frozen_filtered_sheets_with_typed_cells(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    book = xlsx(client.get(reverse("analysis:export_workbook", args=[deal.pk])))
    assert book.sheetnames == ["Findings", "Facts", "Gaps", "VDR requests", "Cost roll-up"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}", sheet.title
        assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("1F3A5F")
        assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[1])

    findings = book["Findings"]
    header = [c.value for c in findings[1]]
    assert header[:7] == ["Run", "Reference", "Type", "Domain", "Severity", "Phase", "Title"]
    ecc = next(row for row in findings.iter_rows(min_row=2) if row[header.index("Title")].value == "ECC maintenance ends 2027")
    cost_high = ecc[header.index("Cost high")]
    assert cost_high.value == 2000000 and cost_high.number_format == "#,##0"  # money is a number, formatted
    assert ecc[header.index("Severity")].value == "Critical" and ecc[header.index("Phase")].value == "Long term"
    assert ecc[header.index("Domain")].value == "Applications"  # a label, not the raw key

    facts = book["Facts"]
    fheader = [c.value for c in facts[1]]
    forti = next(r for r in facts.iter_rows(min_row=2) if r[fheader.index("Item")].value == "FortiGate FortiOS 6.0")
    assert forti[fheader.index("Evidence (quote)")].value == "Firewalls: FortiGate running FortiOS 6.0 at all 12 sites."
    assert forti[fheader.index("Page")].value == 2 and forti[fheader.index("Document")].value == "target-inventory.txt"
    assert forti[fheader.index("Details")].value == "Sites: 12"  # readable, not a JSON blob

    costs = book["Cost roll-up"]
    assert [c.value for c in costs[1]] == ["Domain", "Phase", "Findings", "Cost low", "Cost high", "Currency"]
    rows = [[c.value for c in r] for r in costs.iter_rows(min_row=2)]
    assert ["Applications", "Long term", 1, 500000, 2000000, "USD"] in rows and ["Network", "Day 1", 1, 60000, 120000, "USD"] in rows

    # A verified fact carries a typed date.
    from analysis.models import Fact
    from analysis.services.verification import verify_fact

    verify_fact(Fact.objects.get(run=falcon[1], item="Exchange 2013"), people["analyst"], "checked")
    facts = xlsx(client.get(reverse("analysis:export_workbook", args=[deal.pk])))["Facts"]
    verified = next(r for r in facts.iter_rows(min_row=2) if r[fheader.index("Item")].value == "Exchange 2013")
    assert isinstance(verified[fheader.index("Verified on")].value, dt.datetime)
    assert verified[fheader.index("Verified on")].number_format == "yyyy-mm-dd hh:mm"


def test_summary_shows_key_messages_for_the_analysed_domains_only(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:summary", args=[deal.pk]))
    km = response.context["km"]
    assert km.messages[0].startswith("1 critical and 1 high risks. The most severe: ECC maintenance ends 2027 (Applications, Long term, USD 500,000–2,000,000)")
    assert km.messages[1] == "1 Day-1 blocker: FortiOS 6.0 is end of support."
    assert km.messages[2] == "TSA exposure: 1 item, USD 20,000–40,000 — Move mail to buyer tenant."
    assert "critical document request open" in km.messages[3]
    html = body(response)
    assert 'id="key-messages"' in html and 'id="summary-pdf"' in html

    partial = persist_run(deal, [], [gap("network", "ip_plan", "No IP address plan", "nice_to_have")])
    type(partial).objects.filter(pk=partial.pk).update(domains=["network", "applications"])
    # A partial run is never the default; it stays selectable.
    summary = client.get(reverse("analysis:summary", args=[deal.pk]) + f"?run={partial.number}")
    assert [r.key for r in summary.context["domain_rows"]] == ["applications", "network"]
    assert summary.context["km"].scope_warnings == [
        "Not analysed in this run: Infrastructure, Cybersecurity, Identity & access, Organisation."
    ]


def render_pdf(data: bytes, tmp_path, name: str):
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=1.5).to_pil().convert("RGB")
    image.save(tmp_path / f"{name}.png")
    return len(document), text, image


def test_summary_pdf_renders_key_messages_and_says_when_the_run_is_partial(client, falcon, people, tmp_path):
    deal, run = falcon[0], falcon[1]
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:summary_pdf", args=[deal.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content[:5] == b"%PDF-"
    assert f"run{run.number}-executive-summary.pdf" in response["Content-Disposition"]
    pages, text, image = render_pdf(response.content, tmp_path, "complete")
    assert pages >= 1
    for expected in ("Executive summary - Project Falcon", "Key messages", "ECC maintenance ends 2027",
                     "Day-1 blockers", "FortiOS 6.0 is end of support", "TSA exposure", "Move mail to buyer tenant",
                     "Coverage of the analysed domains", "Page 1 of"):
        assert expected in text, expected
    assert "Incomplete picture" not in text
    width, height = image.size
    # The title band is navy across the top; the page body is mostly white paper with dark text on it.
    assert image.getpixel((width // 2, 8)) == (31, 58, 95)
    body_pixels = image.crop((0, height // 4, width, height // 2)).getcolors(maxcolors=1_000_000)
    white = sum(n for n, colour in body_pixels if colour == (255, 255, 255))
    dark = sum(n for n, colour in body_pixels if max(colour) < 90)
    assert white > 0.6 * sum(n for n, _ in body_pixels) and dark > 500

    failed = persist_run(deal, [], [], status=RunStatus.FAILED)
    type(failed).objects.filter(pk=failed.pk).update(domains=["network"])
    partial = client.get(reverse("analysis:summary_pdf", args=[deal.pk]), {"run": failed.number})
    _, text, image = render_pdf(partial.content, tmp_path, "failed")
    assert f"Incomplete picture: Run {failed.number} failed: the results are partial." in " ".join(text.split())
    assert "Not analysed in this run: Applications" in " ".join(text.split())
    # The warning is an amber box under the title band.
    amber = sum(n for n, colour in image.crop((0, 40, image.size[0], 140)).getcolors(maxcolors=1_000_000)
                if colour == (255, 236, 179))
    assert amber > 5000


def test_new_pages_and_downloads_have_query_budgets(client, falcon, people, django_assert_max_num_queries):
    deal = falcon[0]
    doc = make_document(deal, "target", ["Many servers."], filename="servers.txt")
    big_facts = [fact(doc, "infrastructure", "server", f"Server {i:03}", "Many servers.", role="app") for i in range(120)]
    persist_run(deal, big_facts, [gap("network", f"g{i}", f"Gap {i}", sources=[f"Doc (a, b) {i}"]) for i in range(60)])
    client.force_login(people["viewer"])
    budgets = {
        reverse("analysis:summary", args=[deal.pk]): 22,
        reverse("analysis:summary_pdf", args=[deal.pk]): 22,
        reverse("analysis:gaps", args=[deal.pk]) + "?status=open": 14,
        reverse("analysis:export_vdr", args=[deal.pk, "csv"]): 14,
        reverse("analysis:export_vdr", args=[deal.pk, "xlsx"]): 14,
        reverse("analysis:export_workbook", args=[deal.pk]): 22,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            response = client.get(url)
            assert response.status_code == 200, url
            if response.streaming:
                b"".join(response.streaming_content)
