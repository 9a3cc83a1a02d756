"""One deal menu on every deal page, the notifications inbox, sortable tables, the comparison and the audit
trail in an analyst's words — and the query budget of every new page."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from analysis.models import Finding, Notification
from analysis.services.reviews import ReviewInput, review_finding
from audit.models import AuditEvent
from tests.factories import persist_run

pytestmark = pytest.mark.django_db

MENU = ["Dashboard", "Findings", "Gaps", "Facts", "Overlap", "Documents", "Runs", "Members", "Audit"]


def deal_pages(deal, run):
    finding = Finding.objects.for_run(run).first()
    return [
        reverse("analysis:deal", args=[deal.pk]), reverse("analysis:findings", args=[deal.pk]),
        reverse("analysis:gaps", args=[deal.pk]), reverse("analysis:facts", args=[deal.pk]),
        reverse("analysis:overlap", args=[deal.pk]), reverse("analysis:runs", args=[deal.pk]),
        reverse("analysis:finding", args=[deal.pk, finding.pk]), reverse("analysis:domain", args=[deal.pk, "network"]),
        reverse("analysis:run", args=[deal.pk, run.number]), reverse("analysis:audit", args=[deal.pk]),
        reverse("deals:documents", args=[deal.pk]), reverse("deals:members", args=[deal.pk]),
        reverse("analysis:compare", args=[deal.pk, run.number, run.number]),
    ]


def test_every_deal_page_has_the_deal_menu_and_analysts_get_start_run(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    for who, start in (("analyst", True), ("viewer", False)):
        client.force_login(people[who])
        for url in deal_pages(deal, run):
            html = client.get(url).content.decode()
            menu = re.search(r'<nav class="deal-menu.*?</nav>', html, re.S)
            assert menu, url
            assert re.findall(r'id="menu-\w+"[^>]*>([^<]+)</a>', menu.group(0)) == MENU, url
            assert ('id="start-run"' in menu.group(0)) is start, (who, url)
    # The dashboard no longer carries the overlap table: it has its own page.
    client.force_login(people["viewer"])
    assert 'id="overlap"' not in client.get(reverse("analysis:deal", args=[deal.pk])).content.decode()
    assert 'id="overlap"' in client.get(reverse("analysis:overlap", args=[deal.pk])).content.decode()


def test_notifications_inbox_counts_unread_marks_read_and_links_the_run(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    user = people["analyst"]
    mine = [Notification.objects.create(user=user, deal=deal, run=run, kind="run.completed", message=f"Run done {i}") for i in range(3)]
    Notification.objects.create(user=people["manager"], deal=deal, kind="run.failed", message="not yours")
    client.force_login(user)
    html = client.get(reverse("analysis:deal", args=[deal.pk])).content.decode()
    assert '<span class="notif-count" id="unread-count" aria-label="3 unread">3</span>' in html
    inbox = client.get(reverse("notifications"))
    assert [n.message for n in inbox.context["notifications"]] == ["Run done 2", "Run done 1", "Run done 0"]
    assert reverse("analysis:run", args=[deal.pk, run.number]) in inbox.content.decode()
    client.post(reverse("notifications"), {"notification": [mine[0].pk]})
    assert Notification.objects.for_user(user).unread().count() == 2
    assert [n.message for n in client.get(reverse("notifications"), {"show": "unread"}).context["notifications"]] == ["Run done 2", "Run done 1"]
    client.post(reverse("notifications"), {"all": "1"})
    assert 'id="unread-count"' not in client.get(reverse("notifications")).content.decode()
    assert Notification.objects.for_user(people["manager"]).unread().count() == 1  # never someone else's


def test_column_headers_sort_with_aria_sort_and_links_keep_the_filters(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    url = reverse("analysis:findings", args=[deal.pk])
    html = client.get(url, {"domain": "applications", "sort": "-cost"}).content.decode()
    assert '<th aria-sort="descending" data-sort="cost"><a href="?domain=applications&amp;sort=cost"' in html
    assert '<th aria-sort="none" data-sort="severity"><a href="?domain=applications&amp;sort=severity"' in html
    rows = client.get(url, {"sort": "-cost"}).context["rows"]
    assert [f.reviewed_cost_high for f in rows][:2] == [2000000, 120000]
    # Exports and the workbook/VDR links carry the filters (without the page).
    assert f'{reverse("analysis:export", args=[deal.pk, "findings", "csv"])}?domain=applications&amp;sort=-cost' in html
    assert f'{reverse("analysis:export_workbook", args=[deal.pk])}?domain=applications&amp;sort=-cost' in html
    # Category is a choice of the run's categories, in words; page size is a choice.
    facts = client.get(reverse("analysis:facts", args=[deal.pk]), {"category": "erp", "per_page": "25"})
    assert {f.category for f in facts.context["rows"]} == {"erp"} and facts.context["page_obj"].paginator.per_page == 25
    assert '<option value="erp" selected>Erp</option>' in facts.content.decode()
    # The gaps status filter offers "open and resolved" by default, not "Unknown".
    gaps = client.get(reverse("analysis:gaps", args=[deal.pk])).content.decode()
    assert "Unknown" not in gaps and '<option value="no">Open</option>' in gaps


def test_first_and_last_page_links(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    html = client.get(reverse("analysis:facts", args=[deal.pk]), {"per_page": "25", "page": "1"}).content.decode()
    assert 'rel="last"' not in html  # one page only
    page = client.get(reverse("analysis:facts", args=[deal.pk]), {"per_page": "abc"}).context["page_obj"]
    assert page.paginator.per_page == 50


def test_comparison_says_what_changed_in_words_and_leaves_internal_details_out(client, falcon, people):
    deal, run1, facts, gaps, findings = falcon
    import dataclasses

    facts = [dataclasses.replace(f, details={**f.details, "rule": "other-rule", **({"sites": 14} if f.item.startswith("FortiGate") else {})}) for f in facts]
    findings = [dataclasses.replace(f, severity="critical", cost_low=90000) if f.title.startswith("FortiOS") else f for f in findings]
    run2 = persist_run(deal, facts, gaps, findings)
    client.force_login(people["viewer"])
    picker = client.get(reverse("analysis:runs", args=[deal.pk]), {"a": run1.number, "b": run2.number})
    assert picker.status_code == 302 and picker["Location"] == reverse("analysis:compare", args=[deal.pk, run1.number, run2.number])
    response = client.get(picker["Location"])
    html = response.content.decode()
    assert "<strong>Severity</strong>: <del>High</del> → <ins>Critical</ins>" in html
    assert "<strong>Cost</strong>: <del>60,000–120,000</del> → <ins>90,000–120,000</ins>" in html
    assert "<strong>Sites</strong>: <del>12</del> → <ins>14</ins>" in html
    changed_facts = response.context["diff"]["facts"].changed
    assert [c.label for c in changed_facts] == ["FortiGate FortiOS 6.0"]  # a change only in "rule" is no change
    assert "{" not in html.split('id="diff-facts"')[1]  # no raw dicts


def test_audit_trail_shows_people_sentences_and_filters_by_type_person_and_date(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    forti = Finding.objects.get(run=run, title="FortiOS 6.0 is end of support")
    review_finding(forti, people["analyst"], ReviewInput(severity="critical", reason="exposed to the internet"))
    client.force_login(people["viewer"])
    url = reverse("analysis:audit", args=[deal.pk])
    response = client.get(url, {"type": "finding.reviewed"})
    rows = response.context["rows"]
    assert [(r["label"], r["actor"]) for r in rows] == [("Finding reviewed", "a")]
    assert rows[0]["details"] == "“FortiOS 6.0 is end of support”: severity engine’s → critical. Why: exposed to the internet"
    system = client.get(url, {"user": "system"}).context["rows"]
    assert system and {r["actor"] for r in system} == {"DealIQ (worker)"}
    assert not client.get(url, {"user": "a", "until": "2000-01-01"}).context["rows"]
    assert "a date like" in client.get(url, {"since": "yesterday"}).content.decode()
    assert AuditEvent.objects.filter(deal=deal, actor__isnull=True).exists()


def test_new_pages_have_fixed_query_budgets(client, falcon, people, django_assert_max_num_queries):
    deal, run = falcon[0], falcon[1]
    for i in range(30):
        Notification.objects.create(user=people["analyst"], deal=deal, run=run, kind="run.completed", message=f"n{i}")
    for _ in range(3):
        persist_run(deal, *falcon[2:])
    client.force_login(people["analyst"])
    budgets = {
        reverse("analysis:runs", args=[deal.pk]): 12,
        reverse("analysis:overlap", args=[deal.pk]): 12,
        reverse("notifications"): 8,
        reverse("analysis:audit", args=[deal.pk]) + "?group=step&user=system": 12,
        reverse("analysis:run", args=[deal.pk, run.number]): 12,
        reverse("deals:members", args=[deal.pk]): 8,
        reverse("analysis:findings", args=[deal.pk]) + "?sort=-review&per_page=100": 14,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
