"""The review workflow of findings: overrides, decisions, owners and comments, carried to later runs by key."""
from __future__ import annotations

import csv
import dataclasses

import pytest
from django.urls import reverse

from analysis.filters import filtered
from analysis.models import Finding, FindingReview, Notification
from analysis.services.reviews import ReviewInput, review_finding, reviewed_values, with_reviewed_values
from audit.models import AuditEvent
from tests.factories import persist_run

pytestmark = pytest.mark.django_db

FORTI = "FortiOS 6.0 is end of support"


def _review_url(finding):
    return reverse("analysis:finding_review", args=[finding.deal_id, finding.pk])


def _rerun(falcon, **changes_by_title):
    """Another completed run of the same deal, with the same results (but `changes_by_title`)."""
    deal, _, facts, gaps, findings = falcon
    findings = [dataclasses.replace(f, **changes_by_title.get(f.title, {})) for f in findings]
    return persist_run(deal, facts, gaps, findings)


def _forti(run):
    return Finding.objects.select_related("run").get(run=run, title=FORTI)


def test_an_analyst_overrides_accepts_and_assigns_a_finding_and_every_page_shows_the_reviewed_values(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    forti = _forti(run)
    client.force_login(people["analyst"])
    response = client.post(_review_url(forti), {
        "decision": "accepted", "severity": "critical", "phase": "day_1", "cost_low": "80,000", "cost_high": "150000",
        "owner": "m", "reason": "Internet-facing at all 12 sites",
    }, follow=True)
    html = response.content.decode()
    assert "Review saved" in html and 'class="banner success"' in html
    values = reviewed_values(_forti(run))
    assert (values.severity, values.phase, values.cost_low, values.cost_high) == ("critical", "day_1", 80000, 150000)
    assert values.decision == "accepted" and values.owner.get_username() == "m" and values.reviewed_by.get_username() == "a"
    assert values.overridden == ["severity", "phase", "cost"]  # day_1 pinned, even if the engine agrees today and values.engine["severity"] == "high"
    assert "Internet-facing at all 12 sites" in html and "(engine: High)" in html and "USD 80,000–150,000" in html

    # Lists filter and sort on the reviewed values, in SQL; the engine's value stays on the row.
    _, critical = filtered("findings", run, {"severity": "critical"})
    assert sorted(f.title for f in critical) == ["ECC maintenance ends 2027", FORTI]
    _, mine = filtered("findings", run, {"owner": "m", "review": "accepted"})
    assert [f.title for f in mine] == [FORTI] and mine[0].severity == "high" and mine[0].reviewed_severity == "critical"
    listing = client.get(reverse("analysis:findings", args=[deal.pk]), {"severity": "critical"}).content.decode()
    assert "USD 80,000–150,000" in listing and "Accepted" in listing

    export = client.get(reverse("analysis:export", args=[deal.pk, "findings", "csv"]), {"owner": "m"})
    rows = list(csv.DictReader(b"".join(export.streaming_content).decode("utf-8-sig").splitlines()))
    assert [(r["title"], r["severity"], r["cost_low"], r["review"], r["owner"], r["engine_severity"]) for r in rows] == [
        (FORTI, "critical", "80000", "accepted", "m", "high")]

    event = AuditEvent.objects.get(event_type="finding.reviewed")
    assert event.actor_label == "a" and event.data["changes"]["severity"] == ["", "critical"]
    assert event.data["changes"]["owner"] == ["", "m"] and event.data["reason"] == "Internet-facing at all 12 sites"
    note = Notification.objects.get(user=people["manager"], kind="finding.assigned")
    assert FORTI in note.message and note.run_id == run.pk


def test_a_review_carries_to_later_runs_by_key_but_never_back_to_earlier_ones(client, falcon, people):
    deal, run1 = falcon[0], falcon[1]
    review_finding(_forti(run1), people["analyst"], ReviewInput(decision="accepted", severity="critical", reason="exposed"))
    run2 = _rerun(falcon)
    carried = reviewed_values(_forti(run2))
    assert carried.severity == "critical" and carried.decision == "accepted" and carried.review_run == run1.number
    assert not carried.engine_changed_since_review

    client.force_login(people["viewer"])
    page = client.get(reverse("analysis:finding", args=[deal.pk, _forti(run2).pk])).content.decode()
    assert f"carried to run {run2.number}" in page and "exposed" in page

    # Dismissed on run 2: run 2 (and later) say dismissed, run 1 keeps its own review and its exports.
    review_finding(_forti(run2), people["analyst"], ReviewInput(decision="dismissed", severity="critical", reason="duplicate"))
    assert reviewed_values(_forti(run2)).decision == "dismissed"
    assert reviewed_values(_forti(run1)).decision == "accepted"
    annotated = {f.run_id: f for f in with_reviewed_values(Finding.objects.filter(deal=deal, title=FORTI))}
    assert annotated[run1.pk].review_decision == "accepted" and annotated[run2.pk].review_decision == "dismissed"
    # The history of run 2's finding lists both actions, newest first.
    history = client.get(reverse("analysis:finding", args=[deal.pk, _forti(run2).pk])).context["history"]
    assert [r.reason for r in history] == ["duplicate", "exposed"]


def test_a_later_run_that_reassesses_the_finding_keeps_the_override_and_says_so(client, falcon, people):
    deal, run1 = falcon[0], falcon[1]
    review_finding(_forti(run1), people["analyst"], ReviewInput(phase="tsa", reason="needs the seller's SOC"))
    run2 = _rerun(falcon, **{FORTI: {"severity": "medium", "cost_low": 10000, "cost_high": 20000}})
    values = reviewed_values(_forti(run2))
    assert values.phase == "tsa" and values.severity == "medium" and values.cost_low == 10000  # only the phase is overridden
    assert values.engine_changed_since_review
    client.force_login(people["viewer"])
    assert "Re-assessed by the engine since the review" in client.get(
        reverse("analysis:finding", args=[deal.pk, _forti(run2).pk])).content.decode()


def test_reviews_need_a_reason_a_complete_cost_range_a_member_owner_and_the_analyst_role(client, falcon, people):
    run = falcon[1]
    forti = _forti(run)
    client.force_login(people["analyst"])
    for data, message in [
        ({"decision": "accepted", "reason": " "}, "every review needs a reason"),
        ({"decision": "accepted", "cost_low": "5", "reason": "x"}, "needs both a low and a high"),
        ({"decision": "accepted", "cost_low": "9", "cost_high": "5", "reason": "x"}, "0 ≤ low ≤ high"),
        ({"decision": "accepted", "cost_low": "lots", "cost_high": "5", "reason": "x"}, "whole amount"),
        ({"decision": "accepted", "owner": "outsider", "reason": "x"}, "outsider is not a member of this deal"),
        ({"decision": "open", "reason": "x"}, "Nothing changed"),
    ]:
        html = client.post(_review_url(forti), data, follow=True).content.decode()
        assert message in html, data
    assert not FindingReview.objects.exists()
    client.force_login(people["viewer"])
    assert client.post(_review_url(forti), {"decision": "accepted", "reason": "x"}).status_code == 403
    client.force_login(people["outsider"])
    assert client.post(_review_url(forti), {"decision": "accepted", "reason": "x"}).status_code == 404
    assert not FindingReview.objects.exists()


def test_comments_are_kept_by_key_and_audited(client, falcon, people):
    deal, run1 = falcon[0], falcon[1]
    client.force_login(people["analyst"])
    url = reverse("analysis:finding_comment", args=[deal.pk, _forti(run1).pk])
    client.post(url, {"text": "Ask the seller for the FortiGate renewal quote."})
    assert "cannot be empty" in client.post(url, {"text": "  "}, follow=True).content.decode()
    run2 = _rerun(falcon)
    page = client.get(reverse("analysis:finding", args=[deal.pk, _forti(run2).pk]))
    assert [c.text for c in page.context["comments"]] == ["Ask the seller for the FortiGate renewal quote."]
    assert AuditEvent.objects.filter(event_type="finding.commented", actor_label="a").count() == 1


def test_finding_page_with_a_review_history_has_a_fixed_number_of_queries(client, falcon, people, django_assert_max_num_queries):
    deal, run = falcon[0], falcon[1]
    forti = _forti(run)
    for i, severity in enumerate(["critical", "medium", "low", "high", "critical"]):
        review_finding(forti, people["analyst"], ReviewInput(severity=severity, owner="m" if i % 2 else "a", reason=f"r{i}"))
    client.force_login(people["analyst"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("analysis:finding", args=[deal.pk, forti.pk]))
    assert response.status_code == 200 and len(response.context["history"]) == 5
    with django_assert_max_num_queries(14):
        assert client.get(reverse("analysis:findings", args=[deal.pk]), {"review": "open", "sort": "-cost"}).status_code == 200


def test_dashboard_counts_and_cost_rollups_use_reviewed_values_and_leave_dismissed_findings_out(client, falcon, people):
    deal, run = falcon[0], falcon[1]
    review_finding(_forti(run), people["analyst"], ReviewInput(severity="critical", phase="tsa", cost_low=1000, cost_high=2000, reason="re-quoted"))
    mail = Finding.objects.select_related("run").get(run=run, title="Move mail to buyer tenant")
    review_finding(mail, people["analyst"], ReviewInput(decision="dismissed", reason="the buyer keeps the target's tenant"))
    client.force_login(people["viewer"])
    response = client.get(reverse("analysis:deal", args=[deal.pk]))
    rows = {r.key: r for r in response.context["domain_rows"]}
    assert rows["network"].findings["critical"] == 1 and rows["network"].findings["high"] == 0
    assert rows["applications"].findings == {"critical": 1, "high": 0, "medium": 0, "low": 0}  # mail dismissed
    phases = {p["phase"]: (p["low"], p["high"]) for p in response.context["phase_costs"]}
    assert phases["tsa"] == (1000, 2000) and phases["day_1"] == (0, 0)
    assert "USD 1,000–2,000" in client.get(reverse("analysis:domain", args=[deal.pk, "network"])).content.decode()
