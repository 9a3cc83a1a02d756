"""Run-scoped deal pages and who may see them."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import RunStatus
from analysis.services.runs import create_run
from deals.models import Role
from workers.pipeline import start_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_deal_page_shows_latest_completed_run_while_a_newer_one_runs(client, sample_deal, member):
    first = start_run(sample_deal)
    second = start_run(sample_deal)
    in_progress = create_run(sample_deal, engine="offline")
    type(in_progress).objects.filter(pk=in_progress.pk).update(status=RunStatus.RUNNING)
    client.force_login(member(sample_deal, Role.VIEWER))

    page = client.get(reverse("analysis:deal", args=[sample_deal.pk]))
    assert page.status_code == 200
    assert page.context["run"].pk == second.pk
    assert f"Showing run {second.number}" in page.content.decode()
    assert f"Run {in_progress.number} is running" in page.content.decode()

    chosen = client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": first.number})
    assert chosen.context["run"].pk == first.pk
    assert f"Showing run {first.number}" in chosen.content.decode()


def test_non_member_gets_404_and_anonymous_is_sent_to_login(client, sample_deal, make_user):
    url = reverse("analysis:deal", args=[sample_deal.pk])
    assert client.get(url).status_code == 302
    client.force_login(make_user("outsider"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("deals:list")).context["deals"].count() == 0


def test_unknown_run_number_is_404(client, sample_deal, member):
    client.force_login(member(sample_deal, Role.VIEWER))
    assert client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": 99}).status_code == 404
    assert client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": "x"}).status_code == 404


def test_analyst_starts_a_run_from_the_dashboard_and_lands_on_its_run_page(client, sample_deal, member):
    analyst = member(sample_deal, Role.ANALYST)
    client.force_login(analyst)
    dashboard = client.get(reverse("analysis:deal", args=[sample_deal.pk])).content.decode()
    assert 'id="start-run"' in dashboard

    response = client.post(reverse("analysis:run_start", args=[sample_deal.pk]), follow=True)

    run = sample_deal.runs.get()
    assert run.status == RunStatus.COMPLETED and run.triggered_by == analyst  # eager: done on return
    assert response.redirect_chain[-1][0] == reverse("analysis:run", args=[sample_deal.pk, run.number])
    assert f"Run {run.number} started on the offline engine" in response.content.decode()
    runs_table = client.get(reverse("analysis:deal", args=[sample_deal.pk])).content.decode()
    assert reverse("analysis:run", args=[sample_deal.pk, run.number]) in runs_table


def test_viewer_cannot_start_a_run_and_non_member_gets_404(client, sample_deal, member, make_user):
    url = reverse("analysis:run_start", args=[sample_deal.pk])
    client.force_login(member(sample_deal, Role.VIEWER))
    assert 'id="start-run"' not in client.get(reverse("analysis:deal", args=[sample_deal.pk])).content.decode()
    assert client.post(url).status_code == 403
    client.force_login(make_user("outsider"))
    assert client.post(url).status_code == 404
    assert not sample_deal.runs.exists()


def test_start_refused_for_lack_of_disk_space_says_why_and_writes_nothing(client, sample_deal, member, settings):
    settings.DEALIQ_MIN_FREE_DISK_MB = 10**12  # more than any disk has
    client.force_login(member(sample_deal, Role.MANAGER))

    response = client.post(reverse("analysis:run_start", args=[sample_deal.pk]), follow=True)

    assert response.status_code == 200
    assert "The run was not started: Not enough free disk space" in response.content.decode()
    assert not sample_deal.runs.exists()


def test_deal_list_pages_through_hundreds_of_deals_searches_and_counts_in_constant_queries(
    client, make_user, django_assert_max_num_queries
):
    from deals.models import Deal, DealMembership

    manager = make_user("overnight-manager")
    others = make_user("someone-else")
    deals = Deal.objects.bulk_create(
        [Deal(name=f"Deal {i:03d}", target_name=f"Target {i:03d}", buyer_name="Acme" if i % 10 == 0 else "Globex")
         for i in range(120)]
    )
    DealMembership.objects.bulk_create([DealMembership(deal=d, user=manager, role=Role.MANAGER) for d in deals[:110]])
    DealMembership.objects.create(deal=deals[115], user=others, role=Role.MANAGER)
    client.force_login(manager)
    url = reverse("deals:list")

    with django_assert_max_num_queries(6):
        first = client.get(url)
    last = client.get(url, {"page": 3})
    assert [d.name for d in first.context["deals"]][:2] == ["Deal 000", "Deal 001"]
    assert len(first.context["deals"]) == 50 and len(last.context["deals"]) == 10  # 110 visible, not 120
    assert "Page 1 of 3" in first.content.decode() and 'rel="next"' in first.content.decode()

    acme = client.get(url, {"q": "acme"})
    assert [d.name for d in acme.context["deals"]] == [f"Deal {i:03d}" for i in range(0, 110, 10)]
    assert 'rel="next"' not in acme.content.decode()  # 11 rows: one page
    globex = client.get(url, {"q": "globex"}).content.decode()  # 99 rows: the next link keeps the search
    assert 'href="?q=globex&amp;page=2"' in globex
    assert "No deal matches" in client.get(url, {"q": "Deal 115"}).content.decode()  # not a member


def test_audit_trail_pages_filters_by_type_and_is_read_only_for_members(client, sample_deal, member, make_user):
    from audit.models import AuditEvent
    from audit.services import record_event

    for i in range(230):
        record_event("export.downloaded" if i % 2 else "document.viewed", deal=sample_deal, data={"i": i})
    client.force_login(member(sample_deal, Role.VIEWER))
    url = reverse("analysis:audit", args=[sample_deal.pk])

    first = client.get(url)
    assert first.status_code == 200 and len(first.context["page"]) == 100
    assert "Page 1 of 3" in first.content.decode()
    exports = client.get(url, {"type": "export.downloaded"})
    assert {e.event_type for e in exports.context["page"]} == {"export.downloaded"}
    assert exports.context["page"].paginator.count == 115
    assert 'href="?type=export.downloaded&amp;page=2"' in exports.content.decode()  # the filter stays

    assert client.post(url).status_code == 405  # nothing to change here
    assert AuditEvent.objects.for_deal(sample_deal).count() >= 230
    client.force_login(make_user("outsider"))
    assert client.get(url).status_code == 404


def test_anyone_signed_in_opens_a_deal_and_manages_it(client, make_user):
    from deals.models import Deal, DealMembership

    creator = make_user("new-analyst")
    client.force_login(creator)
    assert 'id="new-deal"' in client.get(reverse("deals:list")).content.decode()

    refused = client.post(reverse("deals:create"), {"name": "", "target_name": "Kestrel AG", "deal_type": "carve_out"})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    assert not Deal.objects.exists()

    response = client.post(reverse("deals:create"), {
        "name": "Project Kestrel", "target_name": "Kestrel AG", "buyer_name": "Osprey plc",
        "deal_type": "carve_out", "industry": "Logistics", "reference_date": "2027-03-31",
    })
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("deals:documents", args=[deal.pk])
    assert (deal.owner, str(deal.reference_date), deal.deal_type) == (creator, "2027-03-31", "carve_out")
    assert DealMembership.objects.get(deal=deal, user=creator).role == Role.MANAGER
    assert client.get(reverse("analysis:deal", args=[deal.pk])).status_code == 200

    client.logout()
    assert client.get(reverse("deals:create")).status_code == 302  # to the login page


def test_a_staff_member_creating_a_deal_in_the_admin_manages_it(client, make_user):
    from django.contrib.auth.models import Permission

    from deals.models import Deal, DealMembership

    staff = make_user("staff-manager", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="deals", codename__in=["add_deal", "view_deal", "change_deal"]))
    client.force_login(staff)
    response = client.post(reverse("admin:deals_deal_add"), {
        "name": "Project Ibis", "target_name": "Ibis SA", "buyer_name": "", "deal_type": "acquisition",
        "industry": "", "status": "active", "reference_date": "2027-01-31",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, [l for l in response.content.decode().splitlines() if "errorlist" in l or "errornote" in l]
    deal = Deal.objects.get(name="Project Ibis")
    assert DealMembership.objects.get(deal=deal, user=staff).role == Role.MANAGER and deal.owner == staff
    assert client.get(reverse("admin:deals_deal_change", args=[deal.pk])).status_code == 200


def test_managers_manage_members_and_a_deal_keeps_a_manager(client, sample_deal, member, make_user):
    from audit.models import AuditEvent
    from deals.models import DealMembership

    manager = member(sample_deal, Role.MANAGER, "heron-manager")
    newcomer = make_user("newcomer")
    url = reverse("deals:members", args=[sample_deal.pk])
    client.force_login(manager)

    added = client.post(url, {"action": "set", "username": "newcomer", "role": "analyst"}, follow=True)
    assert "newcomer is analyst of this deal" in added.content.decode()
    assert DealMembership.objects.get(deal=sample_deal, user=newcomer).role == Role.ANALYST
    client.post(url, {"action": "set", "username": "newcomer", "role": "viewer"})
    assert DealMembership.objects.get(deal=sample_deal, user=newcomer).role == Role.VIEWER
    unknown = client.post(url, {"action": "set", "username": "nobody", "role": "viewer"}, follow=True)
    assert "no active user is called &#x27;nobody&#x27;" in unknown.content.decode()

    own = DealMembership.objects.get(deal=sample_deal, user=manager)
    last = client.post(url, {"action": "remove", "membership": own.pk}, follow=True)
    assert "a deal keeps at least one manager" in last.content.decode()
    demote = client.post(url, {"action": "set", "username": "heron-manager", "role": "viewer"}, follow=True)
    assert "a deal keeps at least one manager" in demote.content.decode()
    assert DealMembership.objects.get(pk=own.pk).role == Role.MANAGER

    newcomer_membership = DealMembership.objects.get(deal=sample_deal, user=newcomer)
    client.post(url, {"action": "remove", "membership": newcomer_membership.pk})
    assert not DealMembership.objects.filter(deal=sample_deal, user=newcomer).exists()
    events = list(AuditEvent.objects.for_deal(sample_deal).filter(event_type__startswith="membership.").values_list("event_type", flat=True))
    assert sorted(events) == ["membership.removed", "membership.set", "membership.set"]

    analyst = member(sample_deal, Role.ANALYST, "heron-analyst")
    client.force_login(analyst)
    page = client.get(url)
    assert page.status_code == 200 and "heron-manager" in page.content.decode() and 'id="add-member"' not in page.content.decode()
    assert client.post(url, {"action": "set", "username": "heron-analyst", "role": "manager"}).status_code == 403
    client.force_login(make_user("outsider"))
    assert client.get(url).status_code == 404
