"""The defects of "no one forges a result or reaches a deal they do not belong to", one test each:
admin escalation to manager, forged runs, other deals' names in the admin, misleading numbers, lost
verifications, tracebacks shown to members."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from analysis.models import AnalysisBatch, AnalysisRun, Fact, Notification, RunStatus, RunStep, StepStatus
from analysis.services.runs import RunStateError
from analysis.services.verification import verify_fact
from audit.models import AuditEvent
from deals.models import DealMembership, Role
from tests.factories import fact, make_deal, make_document, persist_run, sample_results
from workers.pipeline import start_run

pytestmark = pytest.mark.django_db


def staff(user, apps=("deals", "analysis", "audit")):
    """A staff user holding every admin permission of our apps (more than the demo grants): what they
    may do is then decided by the admin's own deal rules alone."""
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=apps))
    return user


@pytest.fixture
def two_deals(falcon):
    deal = falcon[0]
    other = make_deal("Secret Osprey")
    other_run = persist_run(other, *sample_results(other))
    return deal, falcon[1], other, other_run


# --- 1. a staff user makes themselves manager through the admin --------------------------------------

def test_staff_non_member_cannot_add_themselves_to_a_deal(client, two_deals, make_user):
    deal = two_deals[0]
    intruder = staff(make_user("intruder"))
    client.force_login(intruder)
    url = reverse("admin:deals_dealmembership_add")
    assert client.get(url).status_code == 403
    response = client.post(url, {"deal": deal.pk, "username": "intruder", "role": Role.MANAGER})
    assert response.status_code == 403
    assert not DealMembership.objects.filter(user=intruder).exists()


def test_a_manager_of_one_deal_cannot_add_themselves_to_another(client, two_deals, member):
    deal, _, other, _ = two_deals
    boss = staff(member(other, Role.MANAGER, "boss"))
    client.force_login(boss)
    url = reverse("admin:deals_dealmembership_add")
    form = client.get(url).content.decode()
    assert "Secret Osprey" in form and deal.name not in form  # only deals they manage are offered
    assert client.post(url, {"deal": deal.pk, "username": "boss", "role": Role.MANAGER}).status_code == 403
    assert not DealMembership.objects.filter(deal=deal, user=boss).exists()


def test_staff_viewer_cannot_promote_themselves_by_inline_or_membership_form(client, two_deals, member):
    deal = two_deals[0]
    viewer = staff(member(deal, Role.VIEWER, "sviewer"))
    own = DealMembership.objects.get(deal=deal, user=viewer)
    client.force_login(viewer)
    inline = {
        "name": deal.name, "target_name": deal.target_name, "buyer_name": "", "deal_type": "acquisition",
        "status": "active", "reference_date": "2026-01-01", "industry": "",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1", "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000", "memberships-0-id": own.pk, "memberships-0-deal": deal.pk,
        "memberships-0-user": viewer.pk, "memberships-0-role": Role.MANAGER,
    }
    assert client.post(reverse("admin:deals_deal_change", args=[deal.pk]), inline).status_code == 403
    page = client.get(reverse("admin:deals_deal_change", args=[deal.pk])).content.decode()
    assert 'name="memberships-0-role"' not in page  # the inline is read-only
    assert client.post(reverse("admin:deals_dealmembership_change", args=[own.pk]), {"role": Role.MANAGER}).status_code == 403
    own.refresh_from_db()
    assert own.role == Role.VIEWER
    assert not AuditEvent.objects.filter(event_type__startswith="membership.").exists()


def test_manager_changes_members_in_admin_through_the_service_with_audit(client, two_deals, member):
    deal = two_deals[0]
    boss = staff(member(deal, Role.MANAGER, "boss"))
    viewer = member(deal, Role.VIEWER, "plain")
    client.force_login(boss)
    membership = DealMembership.objects.get(deal=deal, user=viewer)
    response = client.post(reverse("admin:deals_dealmembership_change", args=[membership.pk]), {"role": Role.ANALYST})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ANALYST
    event = AuditEvent.objects.get(event_type="membership.set")
    assert (event.actor, event.deal, event.data["role"], event.data["via"]) == (boss, deal, Role.ANALYST, "admin")

    # The last manager cannot step down or be removed.
    own = DealMembership.objects.get(deal=deal, user=boss)
    response = client.post(reverse("admin:deals_dealmembership_change", args=[own.pk]), {"role": Role.VIEWER})
    assert response.status_code == 200 and "keeps at least one manager" in response.content.decode()
    assert client.post(reverse("admin:deals_dealmembership_delete", args=[own.pk]), {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert own.role == Role.MANAGER

    response = client.post(reverse("admin:deals_dealmembership_add"), {"deal": deal.pk, "username": "newbie", "role": "viewer"})
    assert response.status_code == 200 and "No active user" in response.content.decode()
    client.post(reverse("admin:deals_dealmembership_delete", args=[membership.pk]), {"post": "yes"})
    assert not DealMembership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(event_type="membership.removed", actor=boss).count() == 1


# --- 2. run records forged in the admin -----------------------------------------------------------

def test_runs_and_results_cannot_be_edited_in_the_admin(client, two_deals, member, make_user):
    deal, run, other, other_run = two_deals
    failed = persist_run(deal, [], status=RunStatus.FAILED)
    boss = staff(member(deal, Role.MANAGER, "boss"))
    client.force_login(boss)
    forged = {"deal": deal.pk, "number": failed.number, "status": "completed", "engine": "ledger", "fact_count": 999,
              "cost": "0.01", "progress": 100, "priority": "normal", "domains": "[]", "document_manifest": "[]",
              "counts": "{}"}
    assert client.post(reverse("admin:analysis_analysisrun_change", args=[failed.pk]), forged).status_code == 403
    failed.refresh_from_db()
    assert (failed.status, failed.fact_count) == (RunStatus.FAILED, 0)
    page = client.get(reverse("analysis:deal", args=[deal.pk])).content.decode()
    assert f"Showing run {run.number}" in page

    fact_row = Fact.objects.for_run(run).first()
    assert client.post(reverse("admin:analysis_fact_change", args=[fact_row.pk]), {"item": "forged"}).status_code == 403
    assert client.get(reverse("admin:analysis_fact_add")).status_code == 403
    assert client.post(reverse("admin:analysis_fact_delete", args=[fact_row.pk]), {"post": "yes"}).status_code == 403
    assert Fact.objects.filter(pk=fact_row.pk, item=fact_row.item).exists()

    outsider = staff(make_user("sout"))
    client.force_login(outsider)
    moved = {**forged, "deal": deal.pk, "number": 77, "status": "completed"}
    response = client.post(reverse("admin:analysis_analysisrun_change", args=[other_run.pk]), moved)
    assert response.status_code in (403, 404)
    other_run.refresh_from_db()
    assert (other_run.deal_id, other_run.number) == (other.pk, 1)


# --- 3. other deals' names in the admin -----------------------------------------------------------

def test_admin_lists_filters_and_notifications_never_name_another_deal(client, two_deals, member, make_user):
    deal, run, other, other_run = two_deals
    viewer = staff(member(deal, Role.VIEWER, "sv"))
    stranger = make_user("stranger")
    Notification.objects.create(user=stranger, deal=other, run=other_run, kind="run.completed",
                                message="Secret Osprey run 1 completed: 5 facts")
    Notification.objects.create(user=viewer, deal=deal, run=run, kind="run.completed", message="Falcon run done")
    client.force_login(viewer)
    for name in ("analysis_fact", "analysis_gap", "analysis_finding", "analysis_analysisrun", "analysis_runstep",
                 "analysis_factfindinglink", "audit_auditevent", "analysis_notification", "deals_dealmembership",
                 "deals_document", "deals_documentpage", "analysis_analysisbatch", "deals_deal", "analysis_enginecall"):
        html = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert "Secret Osprey" not in html, name
    listed = client.get(reverse("admin:analysis_notification_changelist")).context["cl"].queryset
    assert list(listed.values_list("message", flat=True)) == ["Falcon run done"]

    # Batches: the pages' rule (a batch holding a run of one of my deals), not "batches I created".
    batch = AnalysisBatch.objects.create(name="nightly", created_by=stranger)
    AnalysisRun.objects.filter(pk=run.pk).update(batch=batch)
    hidden = AnalysisBatch.objects.create(name="their nightly", created_by=stranger)
    AnalysisRun.objects.filter(pk=other_run.pk).update(batch=hidden)
    batches = client.get(reverse("admin:analysis_analysisbatch_changelist")).context["cl"].queryset
    assert list(batches) == [batch]
    assert client.get(reverse("admin:analysis_analysisbatch_change", args=[hidden.pk])).status_code == 404


# --- 4. numbers that mislead ----------------------------------------------------------------------

def test_a_failed_run_grades_nothing_and_has_no_summary(client, falcon, member):
    deal, facts = falcon[0], falcon[2]
    failed = persist_run(deal, facts[:1], status=RunStatus.FAILED)
    RunStep.objects.filter(run=failed, domain="applications").update(status=StepStatus.DONE)
    client.force_login(member(deal, Role.VIEWER, "v"))
    page = client.get(reverse("analysis:deal", args=[deal.pk]), {"run": failed.number}).content.decode()
    rows = dict(re.findall(r'<tr id="domain-(\w+)">.*?<span class="grade[^"]*"[^>]*>([^<]+)</span>', page, re.S))
    assert rows["network"] == "not analysed" and rows["cybersecurity"] == "not analysed"
    assert rows["applications"] != "not analysed"
    assert "A" not in rows.values() or rows["applications"] == "A"
    assert 'id="run-incomplete"' in page

    summary = client.get(reverse("analysis:summary", args=[deal.pk]), {"run": failed.number}).content.decode()
    assert 'id="summary-refused"' in summary
    assert "No risks identified" not in summary and "window.print()" not in summary


def test_a_partial_run_never_becomes_the_default_and_says_so(client, falcon, member):
    deal, full, facts = falcon[0], falcon[1], falcon[2]
    network_only = persist_run(deal, [f for f in facts if f.domain == "network"], domains=["network"])
    assert network_only.status == RunStatus.COMPLETED and network_only.number > full.number
    client.force_login(member(deal, Role.VIEWER, "v"))
    for name in ("analysis:deal", "analysis:facts", "analysis:summary", "analysis:findings"):
        assert f"Showing run {full.number}" in client.get(reverse(name, args=[deal.pk])).content.decode(), name
    page = client.get(reverse("analysis:deal", args=[deal.pk]), {"run": network_only.number}).content.decode()
    assert f"Showing run {network_only.number}" in page and 'id="partial-run"' in page
    assert page.count(">not analysed<") == 5
    summary = client.get(reverse("analysis:summary", args=[deal.pk]), {"run": network_only.number}).content.decode()
    assert summary.index('id="summary-partial"') < summary.index("Top risks")


def test_a_run_on_a_deal_without_readable_documents_is_refused(client, member):
    deal = make_deal("Empty room")
    analyst = member(deal, Role.ANALYST, "a")
    with pytest.raises(RunStateError, match="no readable documents"):
        start_run(deal, engine="offline")
    client.force_login(analyst)
    response = client.post(reverse("analysis:run_start", args=[deal.pk]), follow=True)
    assert "no readable documents" in response.content.decode()
    assert not AnalysisRun.objects.filter(deal=deal).exists()


# --- 5. verification thrown away by noise ---------------------------------------------------------

def test_verification_survives_an_internal_counter_and_history_follows_the_key(client, member):
    deal = make_deal()
    analyst = member(deal, Role.ANALYST, "ana")
    doc = make_document(deal, "target", ["40 servers run Windows Server 2012 R2.", "Also: Windows Server 2012 R2."])
    seen = fact(doc, "infrastructure", "server_os", "Windows Server 2012 R2", "40 servers run Windows Server 2012 R2.",
                count=40, mentions=1)
    run1 = persist_run(deal, [seen])
    verify_fact(Fact.objects.get(run=run1, key=seen.key), analyst, "checked in CMDB")

    # An unrelated new document raises the engine's mention count: what the analyst saw is unchanged.
    make_document(deal, "target", ["Windows Server 2012 R2 is mentioned here too."], filename="other.txt")
    noisy = fact(doc, "infrastructure", "server_os", "Windows Server 2012 R2", "40 servers run Windows Server 2012 R2.",
                 count=40, mentions=2)
    run2 = persist_run(deal, [noisy])
    carried = Fact.objects.get(run=run2, key=seen.key)
    assert (carried.verification, carried.verified_in_run) == ("verified", run1.number)

    # The same quote now cited from another page is a change the analyst must look at.
    moved = fact(doc, "infrastructure", "server_os", "Windows Server 2012 R2", "40 servers run Windows Server 2012 R2.",
                 page=2, count=40, mentions=2)
    run3 = persist_run(deal, [moved])
    changed = Fact.objects.get(run=run3, key=seen.key)
    assert changed.verification == "pending" and changed.previous_content["run"] == run2.number

    client.force_login(analyst)
    html = client.get(reverse("analysis:fact", args=[deal.pk, changed.pk])).content.decode()
    banner = html[html.index('id="previous-content"'):]
    assert f"verified in run {run1.number}" in banner  # where the decision was made, not where it was carried
    assert "mentions" not in html  # an internal counter is not shown
    history = html[html.index('id="fact-history"'):]
    assert "No decisions yet" not in history
    assert f"fact.verified · ana · in run {run1.number}" in history and "checked in CMDB" in history


# --- 6. tracebacks shown to members ---------------------------------------------------------------

TRACE = (
    "engine crashed\n\nTraceback (most recent call last):\n"
    '  File "/srv/dealiq/workers/step_runner.py", line 210, in execute_step\n    counts = _discover(claim, run, engine)\n'
    "RuntimeError: engine crashed"
)


def test_members_see_one_readable_line_operators_the_traceback(client, two_deals, member):
    deal = two_deals[0]
    failed = persist_run(deal, [], status=RunStatus.FAILED)
    AnalysisRun.objects.filter(pk=failed.pk).update(error="network/reason: " + TRACE)
    RunStep.objects.filter(run=failed, domain="network", kind="reason").update(status=StepStatus.FAILED, error=TRACE)
    from audit.services import record_event

    event = record_event("step.failed", run=failed, severity="error",
                         data={"domain": "network", "kind": "reason", "attempt": 1, "error": TRACE})
    client.force_login(member(deal, Role.VIEWER, "v"))
    for url in (reverse("analysis:run", args=[deal.pk, failed.number]), reverse("analysis:audit", args=[deal.pk]),
                reverse("analysis:run_status", args=[deal.pk, failed.number])):
        body = client.get(url).content.decode()
        assert "Traceback" not in body and "/srv/dealiq" not in body, url
        assert "engine crashed" in body, url

    operator = staff(member(deal, Role.MANAGER, "op"))
    client.force_login(operator)
    detail = client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert "Traceback" in detail


def test_every_allowed_admin_change_is_audited(client, two_deals, member):
    deal, run = two_deals[0], two_deals[1]
    boss = staff(member(deal, Role.MANAGER, "boss"))
    client.force_login(boss)
    members = DealMembership.objects.filter(deal=deal).count()
    form = {"name": "Project Falcon II", "target_name": deal.target_name, "buyer_name": deal.buyer_name,
            "deal_type": deal.deal_type, "status": deal.status, "industry": "", "reference_date": str(deal.reference_date),
            "memberships-TOTAL_FORMS": members, "memberships-INITIAL_FORMS": members,
            "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000}
    assert client.post(reverse("admin:deals_deal_change", args=[deal.pk]), form).status_code == 302
    changed = AuditEvent.objects.get(event_type="deal.changed")
    assert (changed.actor, changed.deal_id, "name" in changed.data["fields"]) == (boss, deal.pk, True)

    ids = [str(pk) for pk in Fact.objects.for_run(run).values_list("pk", flat=True)]
    response = client.post(reverse("admin:analysis_fact_changelist"), {"action": "export_selected_facts", "_selected_action": ids})
    b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(event_type="export.downloaded", actor=boss, run=run).count() == 1
