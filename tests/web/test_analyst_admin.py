"""Admin for facts, gaps and findings: deal-scoped querysets, latest-completed filter, role-checked actions."""
from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from analysis.models import Fact, Gap, RunStatus
from audit.models import AuditEvent
from deals.models import Role
from tests.factories import make_deal, persist_run, sample_results

pytestmark = pytest.mark.django_db


def staff(user, *codenames):
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_admin_lists_only_member_deals_and_filters_latest_completed(client, falcon, member):
    deal, run1 = falcon[0], falcon[1]
    run2 = persist_run(deal, falcon[2][:2])
    persist_run(deal, falcon[2], status=RunStatus.RUNNING)
    other = make_deal("Hidden deal")
    persist_run(other, *sample_results(other))
    user = staff(member(deal, Role.VIEWER, "staffviewer"), "view_fact", "view_gap", "view_finding")
    client.force_login(user)
    url = reverse("admin:analysis_fact_changelist")
    listed = client.get(url).context["cl"].queryset
    assert set(listed.values_list("deal_id", flat=True)) == {deal.pk}
    latest = client.get(url, {"run_scope": "latest"}).context["cl"].queryset
    assert set(latest.values_list("run_id", flat=True)) == {run2.pk}
    assert client.get(url, {"q": "FortiOS"}).context["cl"].queryset.count() == 2  # runs 1 and the running one
    # The run filter offers only this deal's runs.
    run_choices = client.get(url).content.decode()
    assert "Hidden deal" not in run_choices
    assert client.get(reverse("admin:analysis_finding_changelist"), {"run__id__exact": run1.pk}).status_code == 200


def test_admin_actions_export_for_viewers_and_verify_only_for_analysts(client, falcon, member):
    deal, run = falcon[0], falcon[1]
    ids = [str(pk) for pk in Fact.objects.for_run(run).values_list("pk", flat=True)]
    viewer = staff(member(deal, Role.VIEWER, "sv"), "view_fact", "change_fact", "view_gap", "change_gap")
    client.force_login(viewer)
    url = reverse("admin:analysis_fact_changelist")
    exported = client.post(url, {"action": "export_selected_facts", "_selected_action": ids})
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 5 and {r["run"] for r in rows} == {str(run.number)}
    assert client.post(url, {"action": "verify_selected", "_selected_action": ids}).status_code == 403
    assert not Fact.objects.filter(verification="verified").exists()

    analyst = staff(member(deal, Role.ANALYST, "sa"), "view_fact", "change_fact", "view_gap", "change_gap")
    client.force_login(analyst)
    client.post(url, {"action": "verify_selected", "_selected_action": ids[:2]})
    assert Fact.objects.filter(verification="verified", verified_by=analyst).count() == 2
    gap_ids = [str(pk) for pk in Gap.objects.for_run(run).values_list("pk", flat=True)]
    client.post(reverse("admin:analysis_gap_changelist"), {"action": "resolve_selected", "_selected_action": gap_ids})
    assert Gap.objects.filter(resolved_by=analyst).count() == len(gap_ids)
    # Audit fields are read-only in the change form.
    form = client.get(reverse("admin:analysis_fact_change", args=[ids[0]])).content.decode()
    assert 'name="verified_by"' not in form and 'name="previous_content"' not in form


def test_admin_csv_is_the_pages_csv_and_is_audited_per_run(client, falcon, member):
    """The admin's selection goes through the export writer: the same columns and cells as the page's
    facts.csv, each row with its own run number, and one download event per run."""
    deal, run1 = falcon[0], falcon[1]
    run2 = persist_run(deal, falcon[2][:2])
    user = staff(member(deal, Role.VIEWER, "exporter"), "view_fact")
    client.force_login(user)
    ids = [str(pk) for pk in Fact.objects.filter(deal=deal).values_list("pk", flat=True)]
    admin_csv = b"".join(client.post(reverse("admin:analysis_fact_changelist"),
                                     {"action": "export_selected_facts", "_selected_action": ids}).streaming_content)
    page_csv = b"".join(client.get(reverse("analysis:export", args=[deal.pk, "facts", "csv"]), {"run": run1.number}).streaming_content)
    admin_rows = list(csv.reader(io.StringIO(admin_csv.decode("utf-8-sig"))))
    page_rows = list(csv.reader(io.StringIO(page_csv.decode("utf-8-sig"))))
    assert admin_rows[0] == page_rows[0]
    run_column = page_rows[0].index("run")
    assert sorted(r for r in admin_rows[1:] if r[run_column] == str(run1.number)) == sorted(page_rows[1:])
    assert {r[run_column] for r in admin_rows[1:]} == {str(run1.number), str(run2.number)}
    events = AuditEvent.objects.filter(event_type="export.downloaded", actor=user, data__export="admin-selected-facts.csv")
    assert sorted(events.values_list("run_id", flat=True)) == sorted([run1.pk, run2.pk])


def test_analyst_cannot_requeue_in_admin(client, falcon, member):
    deal = falcon[0]
    failed = persist_run(deal, falcon[2][:1], status=RunStatus.FAILED)
    analyst = staff(member(deal, Role.ANALYST, "sa2"), "view_analysisrun", "change_analysisrun")
    client.force_login(analyst)
    response = client.post(reverse("admin:analysis_analysisrun_changelist"), {"action": "requeue_runs", "_selected_action": [failed.pk]})
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == RunStatus.FAILED and failed.requeue_count == 0
