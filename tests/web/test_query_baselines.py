"""Exact query counts for every page and admin screen (NetBox's `assert_expected_query_count` idea).

Walks the same resolver table as the access matrix (tests/web/test_access_matrix.py): every GET a member
may open (pages as the deal's analyst, admin screens as its manager) is requested on a deal whose latest
run holds a dozen facts, gaps and findings, and the number of SQL statements must equal the count stored
in `query_baselines.json` — a ceiling would let a new N+1 through as long as it stayed under it. A change
is recorded on purpose:

    DEALIQ_RECORD_QUERY_BASELINES=1 make test PYTEST_ARGS=tests/web/test_query_baselines.py

and the diff of the JSON file shows which page now costs what.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import fact, finding, gap, make_document, persist_run

from .test_access_matrix import ROLES, RULES, admin_rules, codes, matrix_data, pattern_keys  # noqa: F401

pytestmark = pytest.mark.django_db

BASELINES = Path(__file__).with_name("query_baselines.json")
RECORD = os.environ.get("DEALIQ_RECORD_QUERY_BASELINES", "") == "1"
ROWS = 12  # enough rows that a per-row query shows as a different count


def _grow_latest_run(own: dict) -> None:
    deal = own["deal"]
    doc = make_document(deal, "target", [f"Server {i}: Windows Server 2012 R2, 8 vCPU." for i in range(ROWS)], filename="server-inventory.txt")
    facts = [fact(doc, ("infrastructure", "applications", "network")[i % 3], "server", f"Host {i} Windows 2012",
                  f"Server {i}: Windows Server 2012 R2, 8 vCPU.", page=i + 1) for i in range(ROWS)]
    gaps = [gap(("cybersecurity", "identity_access", "organization")[i % 3], f"topic_{i}", f"Question {i} unanswered")
            for i in range(ROWS)]
    findings = [finding(("infrastructure", "applications", "network")[i % 3], f"Risk number {i}",
                        fact_keys=[facts[i].key, facts[(i + 1) % ROWS].key], cost=(1000 * i, 2000 * i))
                for i in range(ROWS)]
    persist_run(deal, facts, gaps, findings)


def _role_for(key: str) -> str:
    return "manager" if key.startswith("admin") else "analyst"


def _measured_urls(own: dict):
    rules = {**RULES, **admin_rules()}
    for key, _pattern in pattern_keys():
        for index, rule in enumerate(rules.get(key, [])):
            if rule.method != "get":
                continue
            role = _role_for(key)
            if codes(rule.own)[ROLES.index(role)] != 200:
                continue
            url = rule.path(own) if rule.path else reverse(key, kwargs=rule.kwargs(own) if rule.kwargs else None)
            if rule.query:
                url += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
            yield f"{key} [{index}]", role, url


@pytest.mark.slow
def test_every_page_and_admin_screen_runs_its_recorded_number_of_queries(matrix_data):  # noqa: F811
    users, own, _foreign = matrix_data
    _grow_latest_run(own)
    clients = {}
    for role in ("analyst", "manager"):
        clients[role] = Client()
        clients[role].force_login(users[role])

    measured: dict[str, int] = {}
    for label, role, url in _measured_urls(own):
        client = clients[role]
        client.get(url)  # warm per-process caches (content types, site, templates) out of the count
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)  # a streamed export queries while it is read
        assert response.status_code == 200, f"{label} {url}: {response.status_code}"
        measured[label] = len(ctx.captured_queries)
        if os.environ.get("DEALIQ_QUERY_DEBUG") == label:  # print one page's statements while fixing it
            print("\n".join(q["sql"][:300] for q in ctx.captured_queries))

    if RECORD:
        BASELINES.write_text(json.dumps(dict(sorted(measured.items())), indent=1) + "\n")
        pytest.skip(f"recorded {len(measured)} baselines in {BASELINES.name}")
    stored = json.loads(BASELINES.read_text()) if BASELINES.exists() else {}
    differences = [
        f"{label}: {count} queries, baseline {stored.get(label, 'missing')}"
        for label, count in sorted(measured.items()) if stored.get(label) != count
    ] + [f"{label}: baseline for a URL no longer measured" for label in sorted(set(stored) - set(measured))]
    assert not differences, (
        "query counts differ from tests/web/query_baselines.json (record on purpose with "
        "DEALIQ_RECORD_QUERY_BASELINES=1):\n" + "\n".join(differences)
    )
