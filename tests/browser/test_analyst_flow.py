"""The analyst's path in a real browser: log in, open a deal, filter findings by severity, open a fact's
source page, download the VDR request list. Playwright drives Debian's Chromium (/usr/bin/chromium,
installed by .ci/system-deps); with CI=true a missing Chromium fails, locally it skips."""
from __future__ import annotations

import csv
import os
import shutil

import pytest

from deals.models import Role
from tests.factories import make_deal, persist_run, sample_results
from tests.support.services import service_missing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    path = os.environ.get("DEALIQ_CHROMIUM", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


@pytest.fixture
def browser_page(monkeypatch):
    path = chromium_path()
    if path is None:
        service_missing("Chromium not installed (.ci/system-deps installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("the playwright package is not installed (requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True)
        context.set_default_timeout(15000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # The test's ORM connection was opened while Playwright's loop ran in this thread: close it
            # here, or pytest-django cannot drop the test database at the end of the session.
            from django.db import connections

            connections.close_all()


def test_analyst_logs_in_filters_findings_opens_source_and_downloads_vdr(live_server, browser_page, member, tmp_path):
    deal = make_deal("Project Heron")
    run = persist_run(deal, *sample_results(deal))
    user = member(deal, Role.ANALYST, "heron-analyst")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "heron-analyst")
    page.fill("input[name=password]", "pw-heron-analyst")
    page.click("button[type=submit], input[type=submit]")
    page.click("text=Project Heron")
    assert f"Showing run {run.number}" in page.inner_text("#shown-run")

    page.click("#menu-findings")
    page.select_option("select[name=severity]", "high")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**severity=high**")
    titles = page.locator("#findings-table tbody tr").all_inner_texts()
    assert len(titles) == 1 and "FortiOS 6.0 is end of support" in titles[0]

    page.click("#findings-table >> text=FortiOS 6.0 is end of support")
    page.click("#finding-facts >> text=FortiGate FortiOS 6.0")
    assert page.inner_text("#fact-item") == "FortiGate FortiOS 6.0"
    page.click("a.source-page")
    assert page.inner_text("mark#quote") == "Firewalls: FortiGate running FortiOS 6.0 at all 12 sites."

    with page.expect_download() as download_info:
        page.click("#vdr-download")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith("-vdr-requests.csv")
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["question"] == "Could you please provide the DR test evidence?" and rows[0]["status"] == "open"
    assert user.is_authenticated
