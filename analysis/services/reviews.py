"""The review workflow of findings: one home for each review action, and the reviewed values everyone
(pages, exports, summary) shows.

The carry-forward rule (also in docs/analyst-guide.md), the same as fact verification's:

* Two findings are "the same finding" when they have the same natural key in the same deal (dealiq.keys:
  domain, type and normalised title).
* The review that applies to a finding of run N is the newest review of its key made on run N or an
  earlier run. So a review carries to every later run — also to a run already in progress — and
  never reaches back to an older run (its exports stay what they were).
* A review stores overrides, not copies: a severity, phase or cost range the analyst did not override
  stays the engine's value of each run. When a later run's engine values differ from those the
  reviewer saw, the finding says so ("re-assessed by the engine since the review").
* Every action (override, accept, dismiss, assign, reopen) needs a reason, appends a review row (the
  history: who, when, why) and an audit event. Comments are kept by key too.

Public API for other pages and exports:
* `reviewed_values(finding)` → ReviewedValues (severity, phase, cost_low, cost_high, decision, owner…).
* `with_reviewed_values(findings_qs)` → the queryset annotated with `reviewed_severity`,
  `reviewed_phase`, `reviewed_cost_low`, `reviewed_cost_high`, `review_decision`, `review_owner_name`
  (and `review_id_current`), in SQL, so lists and exports filter, sort and stream reviewed values.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from audit.services import record_event

from ..models import Finding, Notification, Phase, Severity
from ..models.reviews import (
    FindingComment,
    FindingReview,
    ReviewDecision,
    ReviewedValues,
    _engine_values,
    current_review,
)

__all__ = [
    "ReviewInput", "ReviewedValues", "ReviewDecision", "review_finding", "comment_on_finding", "reviewed_values",
    "with_reviewed_values", "review_history", "comments_for", "current_review",
]


def reviewed_values(finding: Finding) -> ReviewedValues:
    """The finding's values as reviewed (the engine's where no review overrides them)."""
    cached = getattr(finding, "_reviewed_values", None)
    if cached is None:
        cached = ReviewedValues(finding, current_review(finding))
        finding._reviewed_values = cached
    return cached


def _current(field: str):
    return Subquery(
        FindingReview.objects.filter(deal_id=OuterRef("deal_id"), key=OuterRef("key"),
                                     run_number__lte=OuterRef("run__number"))
        .order_by("-run_number", "-at", "-id")
        .values(field)[:1]
    )


def with_reviewed_values(qs):
    """Annotate findings with their reviewed values (one correlated subquery per value, indexed)."""
    return qs.annotate(
        review_id_current=_current("id"),
        review_decision=Coalesce(_current("decision"), Value(ReviewDecision.OPEN), output_field=CharField()),
        review_owner_name=_current("owner__username"),
        reviewed_severity=Coalesce(NullIf(_current("severity"), Value("")), F("severity"), output_field=CharField()),
        reviewed_phase=Coalesce(NullIf(_current("phase"), Value("")), F("phase"), output_field=CharField()),
        reviewed_cost_low=Coalesce(_current("cost_low"), F("cost_low")),
        reviewed_cost_high=Coalesce(_current("cost_high"), F("cost_high")),
    )


@dataclass(frozen=True)
class ReviewInput:
    """The whole review state an analyst submits: blank severity/phase and no cost = the engine's."""

    decision: str = ReviewDecision.OPEN
    severity: str = ""
    phase: str = ""
    cost_low: int | None = None
    cost_high: int | None = None
    owner: str = ""  # username; blank = nobody
    reason: str = ""


def _validated(finding: Finding, data: ReviewInput):
    errors = []
    if data.decision not in ReviewDecision.values:
        errors.append(f"Unknown decision {data.decision!r}.")
    if data.severity and data.severity not in Severity.values:
        errors.append(f"Unknown severity {data.severity!r}.")
    if data.phase and data.phase not in Phase.values:
        errors.append(f"Unknown phase {data.phase!r}.")
    if (data.cost_low is None) != (data.cost_high is None):
        errors.append("A cost override needs both a low and a high amount (leave both empty to keep the engine's).")
    elif data.cost_low is not None and (data.cost_low < 0 or data.cost_low > data.cost_high):
        errors.append("The cost range must be 0 ≤ low ≤ high.")
    if not data.reason.strip():
        errors.append("Say why: every review needs a reason.")
    owner = None
    if data.owner:
        owner = get_user_model().objects.filter(
            username=data.owner, deal_memberships__deal_id=finding.deal_id
        ).first()
        if owner is None:
            errors.append(f"{data.owner} is not a member of this deal.")
    if errors:
        raise ValidationError(errors)
    return owner


def _state(review: FindingReview | None) -> dict:
    if review is None:
        return {"decision": ReviewDecision.OPEN, "severity": "", "phase": "", "cost_low": None, "cost_high": None,
                "owner": None}
    return {"decision": review.decision, "severity": review.severity, "phase": review.phase,
            "cost_low": review.cost_low, "cost_high": review.cost_high, "owner": review.owner_id}


def review_finding(finding: Finding, user, data: ReviewInput) -> FindingReview:
    """Record a review of `finding` (made on its run; applies to its key from that run on)."""
    owner = _validated(finding, data)
    with transaction.atomic():
        finding = Finding.objects.select_related("run").get(pk=finding.pk)
        before = current_review(finding)
        after = {"decision": data.decision, "severity": data.severity, "phase": data.phase,
                 "cost_low": data.cost_low, "cost_high": data.cost_high, "owner": owner.pk if owner else None}
        old = _state(before)
        changes = {k: [old[k], after[k]] for k in after if old[k] != after[k]}
        if not changes:
            raise ValidationError("Nothing changed: the review already says this.")
        review = FindingReview.objects.create(
            deal_id=finding.deal_id, key=finding.key, run_number=finding.run.number, finding=finding,
            decision=data.decision, severity=data.severity, phase=data.phase, cost_low=data.cost_low,
            cost_high=data.cost_high, owner=owner, reason=data.reason.strip(), engine_values=_engine_values(finding),
            reviewed_by=user,
        )
        if "owner" in changes:
            changes["owner"] = [before.owner.get_username() if before and before.owner else "",
                                owner.get_username() if owner else ""]
        record_event(
            "finding.reviewed", actor=user, deal=finding.deal_id, run=finding.run_id, obj=finding,
            data={"key": finding.key, "title": finding.title, "changes": changes, "reason": review.reason},
        )
        if owner is not None and "owner" in changes and owner.pk != getattr(user, "pk", None):
            Notification.objects.create(
                user=owner, deal_id=finding.deal_id, run_id=finding.run_id, kind="finding.assigned",
                message=f"{user.get_username()} assigned you the finding “{finding.title}”: {review.reason}"[:2000],
            )
    finding.__dict__.pop("_reviewed_values", None)
    return review


def comment_on_finding(finding: Finding, user, text: str) -> FindingComment:
    text = (text or "").strip()
    if not text:
        raise ValidationError("A comment cannot be empty.")
    with transaction.atomic():
        comment = FindingComment.objects.create(
            deal_id=finding.deal_id, key=finding.key, run_number=finding.run.number, author=user, text=text
        )
        record_event("finding.commented", actor=user, deal=finding.deal_id, run=finding.run_id, obj=finding,
                     data={"key": finding.key, "title": finding.title, "comment": text[:500]})
    return comment


def review_history(finding: Finding):
    """Every review of the finding's key that applies to its run, newest first (who, when, why)."""
    return (
        FindingReview.objects.for_key(finding.deal_id, finding.key)
        .applicable_to_run(finding.run.number)
        .select_related("owner", "reviewed_by")
        .newest_first()
    )


def comments_for(finding: Finding):
    return FindingComment.objects.filter(deal_id=finding.deal_id, key=finding.key).select_related("author")

