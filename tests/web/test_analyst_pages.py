"""What the analyst pages and exports show, for which run, in how many queries."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from analysis.models import Fact, Finding, RunStatus
from analysis.services.dashboard import DIFFERENT, SAME, TARGET_ONLY, VERSION_GAP, overlap_map
from tests.factories import fact, finding, gap, make_document, persist_run

pytestmark = pytest.mark.django_db


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_dashboard_counts_costs_overlap_and_chart(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:deal", args=[deal.pk]))
    rows = {r.key: r for r in response.context["domain_rows"]}
    assert rows["applications"].facts == 4 and rows["network"].facts == 1
    assert rows["applications"].findings == {"critical": 1, "high": 0, "medium": 1, "low": 0}
    assert rows["cybersecurity"].gaps["critical"] == 1 and rows["network"].gaps["nice_to_have"] == 1
    assert (rows["applications"].cost_low, rows["applications"].cost_high) == (520000, 2040000)
    assert (response.context["cost_total_low"], response.context["cost_total_high"]) == (580000, 2160000)
    phases = {p["phase"]: (p["low"], p["high"]) for p in response.context["phase_costs"]}
    assert phases == {"day_1": (60000, 120000), "tsa": (20000, 40000), "100_day": (0, 0), "long_term": (500000, 2000000)}
    # Coverage: a domain with answered topics and no gaps is fully covered; an unanswered topic lowers it.
    assert rows["applications"].coverage == 1.0 and rows["applications"].grade == "A"
    assert rows["cybersecurity"].coverage < 1.0
    html = body(response)
    assert "<svg" in html and 'class="bar-critical"' in html
    assert f"Showing run {run.number}" in html
    # Several findings, one currency: the totals say it (DISTINCT must not see the default ordering).
    assert Finding.objects.for_run(run).exclude(cost_low=None).count() > 1
    assert response.context["currency"] == "USD" and "mixed" not in html
    Finding.objects.for_run(run).exclude(cost_low=None).filter(pk=Finding.objects.for_run(run).exclude(cost_low=None).first().pk).update(currency="EUR")
    assert client.get(reverse("analysis:deal", args=[deal.pk])).context["currency"] == "mixed"


def test_overlap_map_compares_platforms_per_function(falcon):
    deal, run = falcon[0], falcon[1]
    doc = make_document(deal, "buyer", ["Firewalls: FortiGate running FortiOS 7.2."], filename="buyer-net.txt")
    later = persist_run(deal, [
        *falcon[2],
        fact(doc, "network", "firewall", "FortiGate FortiOS 7.2", "Firewalls: FortiGate running FortiOS 7.2.", product="FortiGate FortiOS", version="7.2"),
    ])
    status = {(o.domain, o.function): o.status for o in overlap_map(later)}
    assert status[("Applications", "erp")] == DIFFERENT  # SAP ECC vs SAP S/4HANA
    assert status[("Applications", "email")] == DIFFERENT
    assert status[("Network", "firewall")] == VERSION_GAP
    only = {(o.domain, o.function): o.status for o in overlap_map(run)}
    assert only[("Network", "firewall")] == TARGET_ONLY
    same_doc = make_document(deal, "buyer", ["Mail runs on Exchange 2013."], filename="buyer-mail.txt")
    third = persist_run(deal, [falcon[2][1], fact(same_doc, "applications", "email", "Exchange 2013", "Mail runs on Exchange 2013.", product="Exchange", version="2013")])
    assert {o.function: o.status for o in overlap_map(third)}["email"] == SAME


def test_every_page_and_export_keeps_the_latest_completed_run_while_a_newer_run_runs(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    doc = make_document(deal, "target", ["Backups go to tape."], filename="new.txt")
    persist_run(deal, [fact(doc, "infrastructure", "backup", "Tape backup", "Backups go to tape.")],
                [gap("network", "wan", "No WAN diagram")], [finding("infrastructure", "Tape only", "critical")],
                status=RunStatus.RUNNING)
    client.force_login(people["viewer"])
    pages = ["deal", "facts", "gaps", "findings", "summary"]
    for name in pages:
        html = body(client.get(reverse(f"analysis:{name}", args=[deal.pk])))
        assert f"Showing run {run.number}" in html and f"Run {run.number + 1} is running" in html, name
        assert "Tape backup" not in html and "Tape only" not in html and "No WAN diagram" not in html, name
    html = body(client.get(reverse("analysis:domain", args=[deal.pk, "infrastructure"])))
    assert "Tape" not in html and f"Run {run.number + 1} is running" in html
    facts_csv = list(csv.DictReader(io.StringIO(body(client.get(reverse("analysis:export", args=[deal.pk, "facts", "csv"]))))))
    assert {r["run"] for r in facts_csv} == {str(run.number)} and len(facts_csv) == 5
    findings_json = json.loads(body(client.get(reverse("analysis:export", args=[deal.pk, "findings", "json"]))))
    assert findings_json["run"] == run.number and "Tape only" not in {f["title"] for f in findings_json["items"]}
    vdr = body(client.get(reverse("analysis:export_vdr", args=[deal.pk, "csv"])))
    assert "No WAN diagram" not in vdr and "No penetration test report" in vdr
    # ?run=N picks the newer run explicitly, and the links keep it.
    html = body(client.get(reverse("analysis:facts", args=[deal.pk]), {"run": run.number + 1}))
    assert "Tape backup" in html and f"run={run.number + 1}" in html


def test_finding_list_filters_sorts_searches_and_paginates_in_sql(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    url = reverse("analysis:findings", args=[deal.pk])
    high = client.get(url, {"severity": "high"})
    assert [f.title for f in high.context["rows"]] == ["FortiOS 6.0 is end of support"]
    by_sev = client.get(url, {"sort": "severity"})
    assert [f.severity for f in by_sev.context["rows"]] == ["critical", "high", "medium", "low"]
    by_sev_desc = client.get(url, {"sort": "-severity"})
    assert [f.severity for f in by_sev_desc.context["rows"]] == ["low", "medium", "high", "critical"]
    assert [f.title for f in client.get(url, {"q": "mail tenant"}).context["rows"]] == ["Move mail to buyer tenant"]
    assert [f.finding_type for f in client.get(url, {"type": "recommendation"}).context["rows"]] == ["recommendation"]
    assert list(client.get(url, {"severity": "apocalyptic"}).context["rows"]) == []  # invalid filter → nothing, no error
    assert "not valid" in body(client.get(url, {"severity": "apocalyptic"}))


def test_fact_full_text_search_and_verification_filter(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    client.force_login(people["viewer"])
    url = reverse("analysis:facts", args=[deal.pk])
    # Stemming on PostgreSQL ("firewall" finds "Firewalls"); evidence is searched too ("users").
    assert [f.item for f in client.get(url, {"q": "firewall"}).context["rows"]] == ["FortiGate FortiOS 6.0"]
    assert [f.item for f in client.get(url, {"q": "420 users"}).context["rows"]] == ["SAP ECC 6.0 EHP7"]
    assert client.get(url, {"q": "mainframe"}).context["rows"].count() == 0
    Fact.objects.filter(run=run, item="Exchange 2013").update(verification="verified")
    assert [f.item for f in client.get(url, {"verification": "verified"}).context["rows"]] == ["Exchange 2013"]
    assert {f.entity for f in client.get(url, {"entity": "buyer"}).context["rows"]} == {"buyer"}


def test_pages_paginate_with_a_fixed_number_of_queries(client, falcon, people, django_assert_max_num_queries):
    deal = falcon[0]
    doc = make_document(deal, "target", ["Many servers."], filename="servers.txt")
    big_facts = [fact(doc, "infrastructure", "server", f"Server {i:03}", "Many servers.", role="app") for i in range(180)]
    big_findings = [finding("infrastructure", f"Patch server {i:03}", "medium", fact_keys=[big_facts[i].key]) for i in range(120)]
    big = persist_run(deal, big_facts, [gap("network", f"g{i}", f"Gap {i}") for i in range(80)], big_findings)
    client.force_login(people["viewer"])
    facts_page = client.get(reverse("analysis:facts", args=[deal.pk]), {"page": 2})
    assert facts_page.context["page_obj"].paginator.count == 180 and len(facts_page.context["rows"]) == 50
    assert f"run={big.number}" not in body(facts_page)  # default run: links do not pin a run
    budgets = {
        reverse("analysis:deal", args=[deal.pk]): 20,
        reverse("analysis:domain", args=[deal.pk, "infrastructure"]): 20,
        reverse("analysis:facts", args=[deal.pk]) + "?page=3&sort=-item": 14,
        reverse("analysis:facts", args=[deal.pk]) + "?q=server&domain=infrastructure": 14,
        reverse("analysis:gaps", args=[deal.pk]) + "?page=2": 14,
        reverse("analysis:findings", args=[deal.pk]) + "?severity=medium": 14,
        reverse("analysis:summary", args=[deal.pk]): 22,
        reverse("analysis:finding", args=[deal.pk, Finding.objects.for_run(big).first().pk]): 15,  # + reviews, comments
        reverse("analysis:fact", args=[deal.pk, Fact.objects.for_run(big).first().pk]): 14,
        reverse("analysis:compare", args=[deal.pk, falcon[1].number, big.number]): 20,
        reverse("analysis:export", args=[deal.pk, "facts", "csv"]): 14,
        reverse("analysis:export_workbook", args=[deal.pk]): 22,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            response = client.get(url)
            assert response.status_code == 200, url
            if response.streaming:
                b"".join(response.streaming_content)  # streamed exports run their queries while being consumed


def test_fact_pages_read_ids_first_and_show_exactly_the_rows_of_plain_offset_paging(client, falcon, people):
    """Page numbers, sort and filters unchanged: every page (id-first) holds the rows the ordered, filtered
    list has at that offset, none repeated or skipped, the last page short."""
    from analysis.filters import filtered

    deal = falcon[0]
    doc = make_document(deal, "target", ["Many servers."], filename="servers.txt")
    facts = [fact(doc, ("infrastructure", "network", "applications")[i % 3], f"cat{i % 4}", f"Server {i:03}",
                  "Many servers.", entity=("target", "buyer")[i % 2]) for i in range(130)]
    run = persist_run(deal, facts)
    client.force_login(people["viewer"])
    url = reverse("analysis:facts", args=[deal.pk])
    for params in ({}, {"sort": "-item"}, {"entity": "target", "sort": "category"}, {"q": "server", "per_page": "25"}):
        _, expected = filtered("facts", run, params)
        expected_ids = list(expected.values_list("pk", flat=True))
        per_page = int(params.get("per_page", 50))
        pages = -(-len(expected_ids) // per_page)
        seen = []
        for number in range(1, pages + 1):
            response = client.get(url, {**params, "page": number})
            assert response.context["page_obj"].number == number
            seen.extend(f.pk for f in response.context["rows"])
        assert seen == expected_ids, params
        assert client.get(url, {**params, "page": "last"}).context["page_obj"].number == pages


def test_every_page_title_is_plain_text_and_each_form_appears_once(client, falcon, people):
    """A template block left open swallows the page into <title> (the finding page once did)."""

    deal, run = falcon[0], falcon[1]
    client.force_login(people["analyst"])
    urls = [
        reverse("analysis:deal", args=[deal.pk]),
        reverse("analysis:findings", args=[deal.pk]),
        reverse("analysis:finding", args=[deal.pk, Finding.objects.for_run(run).first().pk]),
        reverse("analysis:fact", args=[deal.pk, Fact.objects.for_run(run).first().pk]),
        reverse("analysis:gaps", args=[deal.pk]),
        reverse("analysis:summary", args=[deal.pk]),
        reverse("analysis:audit", args=[deal.pk]),
        reverse("deals:documents", args=[deal.pk]),
    ]
    for url in urls:
        html = body(client.get(url))
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and len(title) < 300, (url, title[:200])
        ids = re.findall(r'<form[^>]* id="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (url, ids)


def test_export_links_keep_the_filters_and_drop_the_page(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    html = body(client.get(reverse("analysis:gaps", args=[deal.pk]), {"importance": "critical", "page": "1"}))
    csv_link = re.search(r'href="([^"]+)" id="vdr-csv"', html).group(1)
    assert csv_link == reverse("analysis:export_vdr", args=[deal.pk, "csv"]) + "?importance=critical"
    bare = body(client.get(reverse("analysis:gaps", args=[deal.pk])))
    assert f'href="{reverse("analysis:export_vdr", args=[deal.pk, "csv"])}" id="vdr-csv"' in bare


def test_fact_detail_links_the_source_page_which_highlights_the_quote(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    fw = Fact.objects.get(run=run, item="FortiGate FortiOS 6.0")
    client.force_login(people["viewer"])
    html = body(client.get(reverse("analysis:fact", args=[deal.pk, fw.pk])))
    source = reverse("analysis:page_text", args=[deal.pk, fw.document_id, 2]) + f"?fact={fw.pk}#quote"
    assert source.replace("&", "&amp;") in html or source in html
    assert "FortiOS 6.0 is end of support" in html  # linked finding
    page = body(client.get(source.split("#")[0]))
    assert '<mark id="quote">Firewalls: FortiGate running FortiOS 6.0 at all 12 sites.</mark>' in page
    # Escaping: page text is never injected as HTML.
    evil = make_document(deal, "target", ["<script>alert(1)</script> Mail runs on Exchange 2013."], filename="x.txt")
    html = body(client.get(reverse("analysis:page_text", args=[deal.pk, evil.pk, 1]), {"q": "exchange 2013"}))
    assert "<script>alert" not in html and "&lt;script&gt;" in html and '<mark id="quote">Exchange 2013</mark>' in html
    finding_html = body(client.get(reverse("analysis:finding", args=[deal.pk, Finding.objects.get(run=run, severity="high").pk])))
    assert "FortiGate FortiOS 6.0" in finding_html


def test_compare_runs_lists_added_removed_and_changed_by_key(client, falcon, people):
    deal, run, facts, gaps, findings = falcon
    doc = make_document(deal, "target", ["Firewalls: FortiGate running FortiOS 6.0 at all 14 sites.", "Backups go to tape."], filename="v2.txt")
    changed_fw = fact(doc, "network", "firewall", "FortiGate FortiOS 6.0", "Firewalls: FortiGate running FortiOS 6.0 at all 14 sites.", sites=14)
    new_fact = fact(doc, "infrastructure", "backup", "Tape backup", "Backups go to tape.", page=2)
    second = persist_run(deal, [facts[0], facts[1], facts[3], facts[4], changed_fw, new_fact], gaps[1:], findings)
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:compare", args=[deal.pk, run.number, second.number]))
    diff = response.context["diff"]
    assert [c.label for c in diff["facts"].added] == ["Tape backup"]
    assert [c.label for c in diff["facts"].changed] == ["FortiGate FortiOS 6.0"]
    assert diff["facts"].changed[0].changed_fields == ["details", "evidence"]
    assert diff["facts"].removed == [] and diff["facts"].unchanged == 4
    assert [c.label for c in diff["gaps"].removed] == ["No penetration test report"]
    assert len(diff["findings"].added + diff["findings"].removed + diff["findings"].changed) == 0
    assert 'id="count-facts"' in body(response)
    assert "truncated" not in body(response)
    assert client.get(reverse("analysis:compare", args=[deal.pk, run.number, 99])).status_code == 404


def test_compare_lists_a_bounded_number_of_rows_and_keeps_complete_counts(client, falcon, people, monkeypatch):
    from analysis.views import compare

    deal, run, facts, gaps, findings = falcon
    doc = make_document(deal, "target", [f"Server srv-{i:02d} runs Windows Server 2019." for i in range(6)], filename="servers.txt")
    new_facts = [fact(doc, "infrastructure", "server", f"srv-{i:02d}", f"Server srv-{i:02d} runs Windows Server 2019.", page=i + 1)
                 for i in range(6)]
    second = persist_run(deal, facts + new_facts, gaps, findings)
    monkeypatch.setattr(compare, "COMPARE_ROWS_SHOWN", 4)
    client.force_login(people["viewer"])

    response = client.get(reverse("analysis:compare", args=[deal.pk, run.number, second.number]))

    html = body(response)
    assert len(response.context["diff"]["facts"].added) == 6  # the count is complete…
    assert html.count('<tr class="added">') == 4 and "Showing the first 4 added" in html  # …the list is bounded


def test_exports_csv_json_xlsx_and_vdr_request_list_respect_filters(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:export", args=[deal.pk, "findings", "csv"]), {"severity": "critical"})
    assert response.streaming and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [r["title"] for r in rows] == ["ECC maintenance ends 2027"] and rows[0]["cost_high"] == "2000000"
    facts = json.loads(body(client.get(reverse("analysis:export", args=[deal.pk, "facts", "json"]), {"entity": "buyer"})))
    assert {f["entity"] for f in facts["items"]} == {"buyer"} and facts["items"][0]["details"]["product"]
    workbook = load_workbook(io.BytesIO(b"".join(client.get(reverse("analysis:export_workbook", args=[deal.pk])).streaming_content)))
    assert workbook.sheetnames == ["Findings", "Facts", "Gaps", "VDR requests", "Cost roll-up"]
    assert workbook["Facts"].max_row == 1 + 5 and workbook["Findings"].max_row == 1 + 4
    vdr = list(csv.DictReader(io.StringIO(body(client.get(reverse("analysis:export_vdr", args=[deal.pk, "csv"]))))))
    # Target gaps only (questions to the seller), by domain in the catalogue's order, most important first;
    # the buyer's own gap is not asked.
    assert [(r["no"], r["domain"], r["priority"]) for r in vdr] == [
        ("1", "Infrastructure", "Important"), ("2", "Cybersecurity", "Critical"), ("3", "Network", "Nice to have")]
    assert vdr[1]["documents requested"] == "Latest pen test report"
    assert vdr[1]["question"] == "Could you please provide the penetration test report?" and vdr[1]["status"] == "open"
    vdr_xlsx = load_workbook(io.BytesIO(b"".join(client.get(reverse("analysis:export_vdr", args=[deal.pk, "xlsx"]), {"importance": "critical"}).streaming_content)))
    assert vdr_xlsx["VDR requests"].max_row == 2


def test_spreadsheet_formula_injection_is_neutralised(client, falcon, people):
    deal = falcon[0]
    doc = make_document(deal, "target", ["=HYPERLINK(\"http://x\") is the CRM."], filename="evil.txt")
    persist_run(deal, [fact(doc, "applications", "crm", "=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\") is the CRM.")])
    client.force_login(people["viewer"])
    rows = list(csv.DictReader(io.StringIO(body(client.get(reverse("analysis:export", args=[deal.pk, "facts", "csv"]))))))
    assert rows[0]["item"].startswith("'=")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN index exists on PostgreSQL only")
def test_fact_search_uses_the_vector_filled_at_finalize_and_finds_rows_not_filled_yet(falcon):
    from analysis.filters import filtered
    from analysis.models import Fact
    from analysis.services.search import index_run_facts, search_facts

    run = falcon[1]
    # Finalize filled every fact's vector; a step's insert does not (its save never runs to_tsvector).
    assert not Fact.all_objects.filter(run=run, search_vector__isnull=True).exists()
    _, qs = filtered("facts", run, {"q": "firewall"})
    assert [f.item for f in qs] == ["FortiGate FortiOS 6.0"]
    # The page's condition uses the stored vector's (partial) GIN index: forbid seq scans to see it used.
    sql, params = search_facts(Fact.objects.all(), "firewall").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "fact_search_vector_gin" in plan, plan
    # A row whose vector is not filled yet (rewritten after finalize, run in progress) is still found.
    Fact.all_objects.filter(run=run).update(search_vector=None)
    _, qs = filtered("facts", run, {"q": "firewall"})
    assert [f.item for f in qs] == ["FortiGate FortiOS 6.0"]
    assert index_run_facts(run.pk) == Fact.all_objects.filter(run=run).count()
    _, qs = filtered("facts", run, {"q": "firewall -fortigate"})
    assert list(qs) == []
