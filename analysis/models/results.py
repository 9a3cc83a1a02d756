"""What a run found: facts, gaps, findings and the links between facts and findings.

Every row belongs to one run; (run, key) is unique so re-writing a step upserts. `key` is the
deterministic natural key from dealiq.keys: the same item in two runs has the same key.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from deals.models import Entity

from .choices import (
    DomainChoice,
    FindingType,
    Importance,
    LinkType,
    Phase,
    Severity,
    VdrStatus,
    Verification,
    choices_check,
)

# deals' Entity, never retyped. A tuple, as the initial migration states the constraints.
ENTITY_VALUES = tuple(Entity.values)


class RunScopedQuerySet(models.QuerySet):
    def for_run(self, run):
        return self.filter(run=run)

    def for_domain(self, domain: str):
        return self.filter(domain=domain)

    def visible_to(self, user):
        from deals.models import Deal

        return self.filter(deal__in=Deal.objects.visible_to(user))


class GapQuerySet(RunScopedQuerySet):
    def unanswered(self):
        """Gaps still gaps: answered ones are kept (with their answer) but no longer count as gaps."""
        return self.filter(answered_at__isnull=True)

    def answered(self):
        return self.filter(answered_at__isnull=False)

    def with_vdr_status(self):
        return self.annotate(
            vdr_status_value=models.Case(
                models.When(answered_at__isnull=False, then=models.Value(VdrStatus.ANSWERED.value)),
                models.When(resolved_at__isnull=False, then=models.Value(VdrStatus.CLOSED.value)),
                default=models.Value(VdrStatus.OPEN.value),
                output_field=models.CharField(),
            )
        )

    def with_vdr_status_in(self, statuses):
        return self.with_vdr_status().filter(vdr_status_value__in=list(statuses))


class FactQuerySet(RunScopedQuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)


class AliveFactManager(models.Manager.from_queryset(FactQuerySet)):
    """Soft-deleted facts are hidden unless asked for through `Fact.all_objects`."""

    def get_queryset(self):
        return super().get_queryset().alive()


# Details an engine keeps for itself (e.g. how many times a data room mentions an item): never shown to the
# analyst, so never part of what they verified.
INTERNAL_DETAIL_KEYS = frozenset({"mentions"})


# The field map of a run's results, in one place: CONTENT is what an engine writes beyond the key (an
# upsert rewrites it; persistence), REVIEWED is what an analyst judges (what "changed" means between two
# runs; comparison). Keys per kind as the exports and pages name them.
CONTENT_FIELDS = {
    "facts": ("category", "item", "details", "evidence", "document", "pages", "confidence"),
    "gaps": ("category", "description", "importance", "suggested_sources", "evidence", "document", "pages"),
    "findings": ("finding_type", "title", "description", "reasoning", "severity", "phase", "cost_low", "cost_high",
                 "currency", "mitigation", "details"),
}
REVIEWED_FIELDS = {
    "facts": ("item", "details", "evidence"),
    "gaps": ("description", "importance"),
    "findings": ("title", "severity", "phase", "cost_low", "cost_high", "description"),
}


class RunResult(models.Model):
    """What every result of a run shares — its run and deal, its natural key (unique in the run: a step
    written twice upserts), its domain and where an imported one came from — with the constraint and the
    indexes that go with them, named per model (`fact_…`, `gap_…`, `finding_…`)."""

    run = models.ForeignKey("analysis.AnalysisRun", on_delete=models.CASCADE, related_name="%(class)ss")
    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="%(class)ss")
    key = models.CharField(max_length=64)
    domain = models.CharField(max_length=20, choices=DomainChoice.choices)
    legacy_id = models.CharField(max_length=100, blank=True, help_text="The id in the tool an imported run came from.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="%(class)s_unique_key_per_run"),
            choices_check("domain", DomainChoice, "%(class)s_domain_valid"),
        ]
        indexes = [models.Index(fields=["deal", "run"], name="%(class)s_deal_run_idx")]


class Fact(RunResult):
    entity = models.CharField(max_length=10, choices=Entity.choices)
    category = models.CharField(max_length=100)
    item = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    evidence = models.TextField(help_text="Verbatim quote from the source page.")
    document = models.ForeignKey(
        "deals.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="facts"
    )
    pages = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=1.0)
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)
    verified_in_run = models.PositiveIntegerField(
        null=True, blank=True, help_text="Run number where the verification was made (carried forward since)."
    )
    previous_content = models.JSONField(
        null=True, blank=True, help_text="The verified value of an earlier run when this run's content differs."
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Full-text search of item + evidence (PostgreSQL), filled for the whole run by one UPDATE at finalize,
    # not at insert: a step's save does not pay for to_tsvector (≈ 25 µs a fact). NULL until then (and
    # after a rewrite); search falls back to the expression for such rows. Its GIN index is partial
    # (NOT NULL), so inserting a fact touches no search index at all. See services/search.py.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = AliveFactManager()
    all_objects = FactQuerySet.as_manager()

    class Meta(RunResult.Meta):
        ordering = ["domain", "entity", "category", "id"]
        base_manager_name = "all_objects"
        constraints = [
            *RunResult.Meta.constraints,
            models.CheckConstraint(condition=models.Q(entity__in=ENTITY_VALUES), name="fact_entity_valid"),
            choices_check("verification", Verification, "fact_verification_valid"),
        ]
        indexes = [
            *RunResult.Meta.indexes,
            # The list's default order (and a domain/entity filter in it): a deep page walks the index.
            models.Index(
                fields=["run", "domain", "entity", "category", "id"], include=["deleted_at"], name="fact_run_list_order_idx"
            ),
            models.Index(fields=["deal", "key"], name="fact_deal_key_idx"),
            # The carry-forward of verifications looks up a step's keys among the deal's decided facts
            # only: a small index, so a step of a deal with few decisions probes almost nothing.
            models.Index(fields=["deal", "key"], condition=~models.Q(verification="pending"),
                         name="fact_decided_deal_key_idx"),
        ]

    def __str__(self) -> str:
        return self.item[:80]

    @property
    def shown_details(self) -> dict:
        """The details the pages show (and the analyst verifies): without the engine's internal counters."""
        details = self.details if isinstance(self.details, dict) else {}
        return {k: v for k, v in details.items() if k not in INTERNAL_DETAIL_KEYS}


class Gap(RunResult):
    entity = models.CharField(max_length=10, choices=Entity.choices)
    category = models.CharField(max_length=100)
    description = models.TextField()
    importance = models.CharField(max_length=15, choices=Importance.choices, default=Importance.IMPORTANT)
    suggested_sources = models.JSONField(default=list, blank=True)
    evidence = models.TextField(blank=True, help_text="Verbatim statement of the gap, when a document states it.")
    document = models.ForeignKey(
        "deals.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="gaps"
    )
    pages = models.JSONField(default=list, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    # Closing the loop: a gap of an earlier run that this run's documents answer is kept in this run,
    # answered, with what answered it (and no longer counts as a gap).
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_fact = models.ForeignKey(
        Fact, null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_gaps"
    )
    answer_quote = models.TextField(blank=True)
    answer_document = models.ForeignKey(
        "deals.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer_page = models.PositiveIntegerField(null=True, blank=True)
    answered_since_run = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of the run whose gap this row answers."
    )

    objects = GapQuerySet.as_manager()

    class Meta(RunResult.Meta):
        ordering = ["domain", "entity", "id"]
        constraints = [
            *RunResult.Meta.constraints,
            models.CheckConstraint(condition=models.Q(entity__in=ENTITY_VALUES), name="gap_entity_valid"),
            choices_check("importance", Importance, "gap_importance_valid"),
        ]
        indexes = [
            *RunResult.Meta.indexes,
            models.Index(fields=["run", "domain"], name="gap_run_domain_idx"),
            models.Index(fields=["deal", "key"], condition=models.Q(resolved_at__isnull=False),
                         name="gap_resolved_deal_key_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def vdr_status(self) -> str:
        if self.answered_at:
            return VdrStatus.ANSWERED
        return VdrStatus.CLOSED if self.resolved_at else VdrStatus.OPEN


class Finding(RunResult):
    finding_type = models.CharField(max_length=20, choices=FindingType.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    reasoning = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    phase = models.CharField(max_length=10, choices=Phase.choices)
    cost_low = models.PositiveBigIntegerField(null=True, blank=True)
    cost_high = models.PositiveBigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    mitigation = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    facts = models.ManyToManyField(Fact, through="FactFindingLink", related_name="findings")

    objects = RunScopedQuerySet.as_manager()

    class Meta(RunResult.Meta):
        ordering = ["domain", "id"]
        constraints = [
            *RunResult.Meta.constraints,
            choices_check("finding_type", FindingType, "finding_type_valid"),
            choices_check("severity", Severity, "finding_severity_valid"),
            choices_check("phase", Phase, "finding_phase_valid"),
            models.CheckConstraint(
                condition=models.Q(cost_low__isnull=True)
                | models.Q(cost_high__isnull=True)
                | models.Q(cost_low__lte=models.F("cost_high")),
                name="finding_cost_range_ordered",
            ),
        ]
        indexes = [
            *RunResult.Meta.indexes,
            models.Index(fields=["run", "domain"], name="finding_run_domain_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class FactFindingLink(models.Model):
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="finding_links")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="fact_links")
    link_type = models.CharField(max_length=12, choices=LinkType.choices, default=LinkType.TRIGGERS)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fact", "finding"], name="link_unique_fact_finding"),
            choices_check("link_type", LinkType, "link_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.fact_id} {self.link_type} {self.finding_id}"
