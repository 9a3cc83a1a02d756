"""The analyst's working day in a real browser, on the embedded default's worker: upload a data room,
move a document to the right entity and withdraw a wrong one, start a run and watch its progress while
it runs, review a finding — and find the review still there after the next run."""
from __future__ import annotations

import re

import pytest

from analysis.models import AnalysisRun
from deals.models import Document, Role
from tests.conftest import SAMPLE_DEAL
from tests.factories import make_deal
from tests.support.embedded import EmbeddedStack

from .test_analyst_flow import browser_page  # noqa: F401 — the Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TARGET_FILES = ["01-it-overview.md", "02-server-inventory.csv", "04-application-inventory.csv", "06-network-overview.md"]


def _wait_for_completed_run(page, stack):
    from playwright.sync_api import expect

    # The run page refreshes itself while the run is queued or running.
    expect(page.locator("#run-status")).to_have_text("Completed", timeout=180_000), stack.log()


def test_analyst_uploads_corrects_documents_runs_and_reviews_and_the_review_survives_the_next_run(
    live_server, browser_page, member, tmp_path  # noqa: F811
):
    from playwright.sync_api import expect

    deal = make_deal("Project Osprey")
    member(deal, Role.ANALYST, "osprey-analyst")
    wrong = tmp_path / "draft-notes.txt"
    wrong.write_text("Draft notes of another deal: the mainframe runs z/OS 2.1.\n")
    page = browser_page
    with EmbeddedStack() as stack:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "osprey-analyst")
        page.fill("input[name=password]", "pw-osprey-analyst")
        page.click("button[type=submit], input[type=submit]")
        page.goto(f"{live_server.url}/deals/{deal.pk}/")
        page.click("#menu-documents")

        # Upload: the target's files, plus the buyer's landscape and a stray file by mistake.
        page.select_option("select[name=entity]", "target")
        page.set_input_files("input[name=files]", [str(SAMPLE_DEAL / "target" / n) for n in TARGET_FILES]
                             + [str(SAMPLE_DEAL / "buyer" / "01-brightwater-it-landscape.md"), str(wrong)])
        page.click("section.upload button[type=submit]")
        expect(page.locator(".upload-results tbody tr")).to_have_count(6)

        # Re-classify the buyer's document …
        page.click("#documents >> text=01-brightwater-it-landscape.md")
        page.click("#document-curation summary")
        page.click("#move-document")
        expect(page.locator(".messages")).to_contain_text("now belongs to the buyer")
        # … and withdraw the stray one.
        page.click("#menu-documents")
        page.click("#documents >> text=draft-notes.txt")
        page.click("#document-curation summary")
        page.fill("#withdraw-reason", "belongs to another deal")
        page.click("#withdraw-document")
        expect(page.locator("#withdrawn-banner")).to_contain_text("belongs to another deal")

        # Start a run: the page returns at once, on the run page, with the run's progress.
        page.click("#start-run")
        expect(page.locator("#run-progress")).to_contain_text("steps settled")
        run1 = AnalysisRun.objects.get(deal=deal)
        manifest = {(d["filename"], d["entity"]) for d in run1.document_manifest}
        assert ("01-brightwater-it-landscape.md", "buyer") in manifest
        assert not any(name == "draft-notes.txt" for name, _ in manifest)
        stack.start_worker()
        _wait_for_completed_run(page, stack)

        # Review the first finding: dismiss nothing, override its severity, accept it, with a reason.
        page.click("#menu-findings")
        first = page.locator("#findings-table tbody tr").first.locator("a").first
        title = first.inner_text()
        first.click()
        engine_severity = page.inner_text("#shown-severity")
        new_severity = "low" if engine_severity != "Low" else "critical"
        page.select_option("#review-decision-input", "accepted")
        page.select_option("#review-severity-input", new_severity)
        page.select_option("#review-owner-input", "osprey-analyst")
        page.fill("#review-reason", "Compensating controls in place")
        page.click("#review-save")
        expect(page.locator(".messages")).to_contain_text("Review saved")
        expect(page.locator("#review-decision")).to_have_text("Accepted")
        expect(page.locator("#shown-severity")).to_have_text(new_severity.capitalize())

        # The next run: the same finding comes back with the review on it.
        page.click("#start-run")
        expect(page.locator("#run-status")).not_to_have_text("Completed")
        _wait_for_completed_run(page, stack)
        run2 = AnalysisRun.objects.get(deal=deal, number=2)
        page.click("#menu-findings")
        assert f"Showing run {run2.number}" in page.inner_text("#shown-run")
        page.locator("#findings-table").get_by_role("link", name=title, exact=True).click()
        expect(page.locator("#review-summary")).to_contain_text(f"carried to run {run2.number}")
        expect(page.locator("#review-summary")).to_contain_text("Compensating controls in place")
        expect(page.locator("#review-decision")).to_have_text("Accepted")
        expect(page.locator("#shown-severity")).to_have_text(new_severity.capitalize())
        assert re.search(r"/findings/\d+/", page.url)
        assert Document.objects.get(deal=deal, filename="draft-notes.txt").is_withdrawn
