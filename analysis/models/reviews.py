"""An analyst's review of a finding: overrides (severity, cost range, phase), a decision (accepted or
dismissed), an owner, comments.

Reviews are keyed like verification — by the finding's natural key within the deal — so a review made
on run N applies to that key in run N and every later run (see analysis/services/reviews.py). Each
review action appends one `FindingReview` row holding the whole review state after the action, so the
rows of a key are its history (who, when, why) and the newest applicable row is the current review.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .choices import Phase, Severity, choices_check


class ReviewDecision(models.TextChoices):
    OPEN = "open", "To review"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class FindingReviewQuerySet(models.QuerySet):
    def for_key(self, deal_id: int, key: str) -> "FindingReviewQuerySet":
        return self.filter(deal_id=deal_id, key=key)

    def applicable_to_run(self, run_number: int) -> "FindingReviewQuerySet":
        """Reviews made on this run or an earlier one (a review never reaches back to older runs)."""
        return self.filter(run_number__lte=run_number)

    def newest_first(self) -> "FindingReviewQuerySet":
        return self.order_by("-run_number", "-at", "-id")


class FindingReview(models.Model):
    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, help_text="The finding's natural key: the same finding in every run.")
    run_number = models.PositiveIntegerField(help_text="Run the review was made on; it applies from that run on.")
    finding = models.ForeignKey(
        "analysis.Finding", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The finding row reviewed (kept for reference; the key is what carries).",
    )
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, default=ReviewDecision.OPEN)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, help_text="Blank: the engine's.")
    phase = models.CharField(max_length=10, choices=Phase.choices, blank=True, help_text="Blank: the engine's.")
    cost_low = models.PositiveBigIntegerField(null=True, blank=True)
    cost_high = models.PositiveBigIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_findings"
    )
    reason = models.TextField(help_text="Why: required for every review action.")
    engine_values = models.JSONField(
        default=dict, blank=True, help_text="The engine's severity, phase and cost when the review was made."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = FindingReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-run_number", "-at", "-id"]
        constraints = [
            choices_check("decision", ReviewDecision, "review_decision_valid"),
            models.CheckConstraint(condition=Q(severity="") | Q(severity__in=Severity.values), name="review_severity_valid"),
            models.CheckConstraint(condition=Q(phase="") | Q(phase__in=Phase.values), name="review_phase_valid"),
            models.CheckConstraint(
                condition=(Q(cost_low__isnull=True) & Q(cost_high__isnull=True))
                | (Q(cost_low__isnull=False) & Q(cost_high__isnull=False) & Q(cost_low__lte=F("cost_high"))),
                name="review_cost_range_complete_and_ordered",
            ),
        ]
        indexes = [models.Index(fields=["deal", "key", "run_number", "at"], name="review_deal_key_run_idx")]

    def __str__(self) -> str:
        return f"{self.key[:12]} run {self.run_number}: {self.decision}"

    @property
    def overrides_cost(self) -> bool:
        return self.cost_low is not None


class FindingComment(models.Model):
    """A comment on a finding; shown on the finding in every run (by key)."""

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    run_number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deal", "key", "at"], name="comment_deal_key_at_idx")]

    def __str__(self) -> str:
        return self.text[:80]


REVIEWED_FIELDS = ("severity", "phase", "cost_low", "cost_high")


def _engine_values(finding) -> dict:
    return {"severity": finding.severity, "phase": finding.phase, "cost_low": finding.cost_low, "cost_high": finding.cost_high}


class ReviewedValues:
    """A finding as the deal team sees it: the engine's values with the current review's overrides applied.

    `review` is the current review (`current_review`), or None when the finding was never reviewed."""

    def __init__(self, finding, review: FindingReview | None):
        self.finding = finding
        self.review = review
        self.engine = _engine_values(finding)
        self.severity = (review.severity if review else "") or finding.severity
        self.phase = (review.phase if review else "") or finding.phase
        cost_overridden = review is not None and review.cost_low is not None
        self.cost_low = review.cost_low if cost_overridden else finding.cost_low
        self.cost_high = review.cost_high if cost_overridden else finding.cost_high
        self.currency = finding.currency
        self.decision = review.decision if review else ReviewDecision.OPEN
        self.owner = review.owner if review else None
        self.reason = review.reason if review else ""
        self.reviewed_by = review.reviewed_by if review else None
        self.reviewed_at = review.at if review else None
        self.review_run = review.run_number if review else None
        self.overridden = [
            name for name, on in (("severity", bool(review and review.severity)), ("phase", bool(review and review.phase)),
                                  ("cost", cost_overridden)) if on
        ]

    @property
    def is_reviewed(self) -> bool:
        return self.review is not None

    @property
    def is_dismissed(self) -> bool:
        return self.decision == ReviewDecision.DISMISSED

    @property
    def engine_changed_since_review(self) -> bool:
        """The engine proposes something else than when the review was made (a later run re-assessed it)."""
        if self.review is None or not self.review.engine_values:
            return False
        return any(self.review.engine_values.get(k) != self.engine[k] for k in REVIEWED_FIELDS)

    def get_severity_display(self) -> str:
        return Severity(self.severity).label

    def get_phase_display(self) -> str:
        return Phase(self.phase).label

    def get_decision_display(self) -> str:
        return ReviewDecision(self.decision).label

    def as_dict(self) -> dict:
        """Plain values for exports and summaries."""
        return {
            "severity": self.severity, "phase": self.phase, "cost_low": self.cost_low, "cost_high": self.cost_high,
            "currency": self.currency, "decision": self.decision,
            "owner": self.owner.get_username() if self.owner else "",
            "reason": self.reason, "reviewed_by": self.reviewed_by.get_username() if self.reviewed_by else "",
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "overridden": list(self.overridden), "engine": dict(self.engine),
        }


def current_review(finding) -> FindingReview | None:
    """The review that applies to `finding`: the newest one of its key made on its run or an earlier one."""
    if hasattr(finding, "review_id_current"):  # annotated by with_reviewed_values: fetch by id (or none)
        if finding.review_id_current is None:
            return None
        return FindingReview.objects.select_related("owner", "reviewed_by").filter(pk=finding.review_id_current).first()
    return (
        FindingReview.objects.for_key(finding.deal_id, finding.key)
        .applicable_to_run(finding.run.number)
        .select_related("owner", "reviewed_by")
        .newest_first()
        .first()
    )
