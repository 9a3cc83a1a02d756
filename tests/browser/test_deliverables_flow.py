"""The deliverables in a real browser: from the gaps page download the VDR request list (XLSX), from the
navigation the workbook, and from the executive summary the PDF; each file opens as what it claims."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from deals.models import Role
from tests.browser.test_analyst_flow import browser_page  # noqa: F401  (the Chromium page fixture)
from tests.factories import make_deal, persist_run, sample_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def download(page, selector, tmp_path):
    with page.expect_download() as info:
        page.click(selector)
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_analyst_downloads_vdr_list_workbook_and_summary_pdf(live_server, browser_page, member, tmp_path):  # noqa: F811
    deal = make_deal("Project Heron")
    run = persist_run(deal, *sample_results(deal))
    member(deal, Role.ANALYST, "heron-analyst")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "heron-analyst")
    page.fill("input[name=password]", "pw-heron-analyst")
    page.click("button[type=submit], input[type=submit]")
    page.click("text=Project Heron")

    page.click("#menu-gaps")
    vdr_path = download(page, "#vdr-xlsx", tmp_path)
    assert vdr_path.name == f"project-heron-run{run.number}-vdr-requests.xlsx"
    vdr = load_workbook(vdr_path)["VDR requests"]
    assert vdr.freeze_panes == "A2" and vdr.auto_filter.ref == f"A1:K{vdr.max_row}"
    assert [c.value for c in vdr[1]][:4] == ["No.", "Domain", "Priority", "Question to the seller"]
    assert [vdr.cell(r, 1).value for r in range(2, vdr.max_row + 1)] == [1, 2, 3]  # typed numbers

    workbook_path = download(page, "nav.deal-nav >> text=Workbook (XLSX)", tmp_path)
    book = load_workbook(workbook_path)
    assert book.sheetnames == ["Findings", "Facts", "Gaps", "VDR requests", "Cost roll-up"]
    assert all(sheet.freeze_panes == "A2" and sheet.auto_filter.ref for sheet in book.worksheets)

    page.click("nav.deal-nav >> text=Executive summary")
    assert "ECC maintenance ends 2027" in page.inner_text("#key-messages")
    pdf_path = download(page, "#summary-pdf", tmp_path)
    assert pdf_path.name == f"project-heron-run{run.number}-executive-summary.pdf"
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(pdf_path))
    text = document[0].get_textpage().get_text_range()
    assert "Key messages" in text and "FortiOS 6.0 is end of support" in text
    image = document[0].render(scale=1).to_pil().convert("RGB")
    assert image.getpixel((image.size[0] // 2, 5)) == (31, 58, 95)  # the title band
    document.close()
