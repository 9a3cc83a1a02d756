"""Every analyst page and export: anonymous → login, non-member → 404, viewer reads, only analyst+ decides."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import Fact, Finding, Gap, Verification
from audit.models import AuditEvent
from deals.models import DocumentPage

pytestmark = pytest.mark.django_db


def read_urls(deal, run):
    fact = Fact.objects.for_run(run).first()
    finding = Finding.objects.for_run(run).first()
    page = DocumentPage.objects.filter(document__deal=deal).first()
    return [
        reverse("analysis:deal", args=[deal.pk]),
        reverse("analysis:domain", args=[deal.pk, "applications"]),
        reverse("analysis:facts", args=[deal.pk]),
        reverse("analysis:gaps", args=[deal.pk]),
        reverse("analysis:findings", args=[deal.pk]),
        reverse("analysis:fact", args=[deal.pk, fact.pk]),
        reverse("analysis:finding", args=[deal.pk, finding.pk]),
        reverse("analysis:page_text", args=[deal.pk, page.document_id, page.number]),
        reverse("analysis:compare", args=[deal.pk, run.number, run.number]),
        reverse("analysis:summary", args=[deal.pk]),
        reverse("analysis:export", args=[deal.pk, "facts", "csv"]),
        reverse("analysis:export", args=[deal.pk, "gaps", "json"]),
        reverse("analysis:export", args=[deal.pk, "findings", "csv"]),
        reverse("analysis:export_workbook", args=[deal.pk]),
        reverse("analysis:export_vdr", args=[deal.pk, "csv"]),
        reverse("analysis:export_vdr", args=[deal.pk, "xlsx"]),
    ]


def test_every_read_page_and_export_applies_the_access_rule(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    urls = read_urls(deal, run)
    for url in urls:
        assert client.get(url).status_code == 302, url  # anonymous → login
    client.force_login(people["outsider"])
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(people["viewer"])
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if not response.streaming and response.get("Content-Type", "").startswith("text/html"):
            assert f"Showing run {run.number}" in response.content.decode(), url


def test_viewer_cannot_verify_or_resolve_and_sees_no_buttons(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    fact = Fact.objects.for_run(run).first()
    gap = Gap.objects.for_run(run).first()
    client.force_login(people["viewer"])
    page = client.get(reverse("analysis:fact", args=[deal.pk, fact.pk])).content.decode()
    assert 'id="decision-form"' not in page
    assert client.post(reverse("analysis:fact_decision", args=[deal.pk, fact.pk]), {"action": "verify"}).status_code == 403
    assert client.post(reverse("analysis:gap_decision", args=[deal.pk, gap.pk]), {"action": "resolve"}).status_code == 403
    client.force_login(people["outsider"])
    assert client.post(reverse("analysis:fact_decision", args=[deal.pk, fact.pk]), {"action": "verify"}).status_code == 404
    fact.refresh_from_db()
    gap.refresh_from_db()
    assert fact.verification == Verification.PENDING and gap.resolved_at is None
    assert not AuditEvent.objects.filter(event_type__in=["fact.verified", "gap.resolved"]).exists()


def test_analyst_verifies_rejects_and_resolves_with_audit(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    fact = Fact.objects.for_run(run).first()
    gap = Gap.objects.for_run(run).first()
    client.force_login(people["analyst"])
    url = reverse("analysis:fact_decision", args=[deal.pk, fact.pk])

    assert client.post(url, {"action": "verify", "note": "checked against contract"}).status_code == 302
    fact.refresh_from_db()
    assert (fact.verification, fact.verified_by, fact.verified_in_run) == ("verified", people["analyst"], run.number)
    event = AuditEvent.objects.get(event_type="fact.verified")
    assert (event.actor, event.object_id, event.data["note"]) == (people["analyst"], str(fact.pk), "checked against contract")

    client.post(url, {"action": "reject", "note": ""})  # a rejection needs a reason
    fact.refresh_from_db()
    assert fact.verification == "verified"
    client.post(url, {"action": "reject", "note": "wrong entity"})
    fact.refresh_from_db()
    assert fact.verification == "rejected"
    assert "verified in run" not in client.get(reverse("analysis:facts", args=[deal.pk])).content.decode()

    response = client.post(reverse("analysis:gap_decision", args=[deal.pk, gap.pk]), {"action": "resolve", "note": "received"})
    assert response.status_code == 302
    gap.refresh_from_db()
    assert gap.resolved_by == people["analyst"] and gap.resolution_note == "received"
    assert AuditEvent.objects.filter(event_type="gap.resolved", object_id=str(gap.pk)).count() == 1


def test_unknown_export_kind_and_domain_are_404(client, falcon, people):
    deal = falcon[0]
    client.force_login(people["viewer"])
    assert client.get(reverse("analysis:export", args=[deal.pk, "users", "csv"])).status_code == 404
    assert client.get(reverse("analysis:export", args=[deal.pk, "facts", "exe"])).status_code == 404
    assert client.get(reverse("analysis:domain", args=[deal.pk, "astrology"])).status_code == 404


def test_objects_of_another_deal_are_404(client, falcon, people, member):
    from tests.factories import make_deal, persist_run, sample_results

    other = make_deal("Other")
    other_run = persist_run(other, *sample_results(other))
    deal = falcon[0]
    client.force_login(people["manager"])
    foreign_fact = Fact.objects.for_run(other_run).first()
    assert client.get(reverse("analysis:fact", args=[deal.pk, foreign_fact.pk])).status_code == 404
    assert client.post(reverse("analysis:fact_decision", args=[deal.pk, foreign_fact.pk]), {"action": "verify"}).status_code == 404
    page = DocumentPage.objects.filter(document__deal=other).first()
    assert client.get(reverse("analysis:page_text", args=[deal.pk, page.document_id, page.number])).status_code == 404
