"""Analysis runs, their checkpointed steps, batches and per-call engine usage."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone

from dealiq.domains import DOMAIN_KEYS, DOMAINS
from dealiq.schemas import ItemReport

from .choices import (
    ACTIVE_RUN_STATUSES,
    SETTLED_STEP_STATUSES,
    BatchStatus,
    DomainChoice,
    Priority,
    RunOrigin,
    RunStatus,
    StepKind,
    StepStatus,
    choices_check,
)


class UsageFields(models.Model):
    """Token usage and cost, summed per call, step, run and batch."""

    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_creation_input_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_input_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    USAGE_FIELDS = (
        "calls",
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost",
    )

    class Meta:
        abstract = True

class AnalysisBatchQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AnalysisBatchQuerySet":
        """Batches a user started, or that hold a run of a deal they are a member of."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        from deals.models import Deal

        return self.filter(Q(created_by=user) | Q(runs__deal__in=Deal.objects.visible_to(user))).distinct()


class AnalysisBatch(models.Model):
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=30, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    counts = models.JSONField(default=dict, blank=True, help_text="Runs by status at the last update.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = AnalysisBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "analysis batches"
        constraints = [
            choices_check("priority", Priority, "batch_priority_valid"),
            choices_check("status", BatchStatus, "batch_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

class AnalysisRunQuerySet(models.QuerySet):
    def for_deal(self, deal) -> "AnalysisRunQuerySet":
        return self.filter(deal=deal)

    def completed(self) -> "AnalysisRunQuerySet":
        return self.filter(status=RunStatus.COMPLETED)

    def latest_completed(self, deal) -> "AnalysisRun | None":
        return self.for_deal(deal).completed().order_by("-number").first()

    def default_for(self, deal) -> "AnalysisRun | None":
        """The run a deal's pages show without ?run=N: the latest completed run that covered every domain.
        A partial run (some domains only) stays selectable but never silently stands for the deal; it is
        shown by default only while the deal has no complete run (and the pages then say it is partial)."""
        completed = list(self.for_deal(deal).completed().order_by("-number").only("id", "number", "domains")[:50])
        full = next((run for run in completed if run.covers_every_domain), None)
        chosen = full or (completed[0] if completed else None)
        return self.get(pk=chosen.pk) if chosen else None

    def active(self) -> "AnalysisRunQuerySet":
        return self.filter(status__in=ACTIVE_RUN_STATUSES)

    def visible_to(self, user) -> "AnalysisRunQuerySet":
        from deals.models import Deal

        return self.filter(deal__in=Deal.objects.visible_to(user))

    def for_batch(self, batch) -> "AnalysisRunQuerySet":
        return self.filter(batch=batch)

    def usage_totals(self) -> dict:
        """Calls, tokens and cost summed over these runs in one query (per deal: .for_deal(deal),
        per batch: .for_batch(batch)); zeros when there is none."""
        totals = self.aggregate(**{name: Sum(name) for name in UsageFields.USAGE_FIELDS})
        return {name: totals[name] or 0 for name in UsageFields.USAGE_FIELDS}

class AnalysisRun(UsageFields):
    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per deal.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    engine = models.CharField(max_length=30)
    model = models.CharField(max_length=100, blank=True)
    origin = models.CharField(max_length=10, choices=RunOrigin.choices, default=RunOrigin.ANALYSED)
    import_source = models.CharField(
        max_length=500, blank=True, help_text="For an imported run: the file it was read from and its layout."
    )
    domains = models.JSONField(default=list)
    document_manifest = models.JSONField(
        default=list, blank=True, help_text="The documents this run read: id, sha256, filename, entity, version."
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of steps settled.")
    steps_total = models.PositiveSmallIntegerField(default=0)
    steps_done = models.PositiveSmallIntegerField(default=0)
    fact_count = models.PositiveIntegerField(default=0)
    gap_count = models.PositiveIntegerField(default=0)
    finding_count = models.PositiveIntegerField(default=0)
    dropped_ungrounded = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Per-domain counts written by finalize.")
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    batch = models.ForeignKey(AnalysisBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requeue_count = models.PositiveIntegerField(default=0)
    auto_requeue_count = models.PositiveIntegerField(default=0)
    finalize_dispatched_at = models.DateTimeField(null=True, blank=True)
    fresh = models.BooleanField(
        default=False,
        help_text="Started as a full run (--fresh, or the start form's checkbox): every step calls its engine, "
        "none reuses an earlier run's results.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = AnalysisRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="run_unique_number_per_deal"),
            choices_check("status", RunStatus, "run_status_valid"),
            choices_check("priority", Priority, "run_priority_valid"),
            choices_check("origin", RunOrigin, "run_origin_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_percent"),
        ]
        indexes = [
            models.Index(fields=["deal", "status", "created_at"], name="run_deal_status_created_idx"),
            # /healthz and /metrics: oldest queued run and runs by status, across deals.
            models.Index(fields=["status", "created_at"], name="run_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} · run {self.number}"

    @property
    def is_imported(self) -> bool:
        return self.origin == RunOrigin.IMPORTED

    @property
    def covers_every_domain(self) -> bool:
        return set(DOMAIN_KEYS) <= set(self.domains or ())

    @property
    def missing_domain_labels(self) -> list[str]:
        """Domains this run was not asked to analyse (empty for a full run)."""
        asked = set(self.domains or ())
        return [d.label for d in DOMAINS if d.key not in asked]

    def analysed_domains(self) -> set[str]:
        """Domains whose every step finished: the ones this run's numbers speak for."""
        if self.status == RunStatus.COMPLETED:
            return set(self.domains or ())
        unfinished = set(self.steps.unsettled().values_list("domain", flat=True))
        return set(self.domains or ()) - unfinished

class RunStepQuerySet(models.QuerySet):
    def for_run(self, run) -> "RunStepQuerySet":
        return self.filter(run=run)

    def settled(self) -> "RunStepQuerySet":
        return self.filter(status__in=SETTLED_STEP_STATUSES)

    def unsettled(self) -> "RunStepQuerySet":
        return self.exclude(status__in=SETTLED_STEP_STATUSES)

    def stale_running(self, before) -> "RunStepQuerySet":
        return self.filter(status=StepStatus.RUNNING, heartbeat_at__lt=before)

class RunStep(UsageFields):
    """The checkpoint: one (domain, kind) of a run. Unique per run, so writing twice upserts."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="steps")
    domain = models.CharField(max_length=20, choices=DomainChoice.choices)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Bumped at each claim: the fencing token.")
    attempt_floor = models.PositiveIntegerField(
        default=0, help_text="`attempts` when the run was last re-queued: the attempt cap counts from here."
    )
    retries = models.PositiveIntegerField(default=0, help_text="Transient-error retries scheduled.")
    error = models.TextField(blank=True)
    items_written = models.PositiveIntegerField(default=0)
    facts_written = models.PositiveIntegerField(default=0)
    gaps_written = models.PositiveIntegerField(default=0)
    findings_written = models.PositiveIntegerField(default=0)
    dropped_ungrounded = models.PositiveIntegerField(default=0)
    dropped_links = models.PositiveIntegerField(default=0)
    partial = models.JSONField(
        default=dict,
        blank=True,
        help_text="Sub-checkpoint: grounded results of finished document batches (`batches`) and every paid "
        "model answer, by request hash (`answers`), so a retry or re-queue never pays for one twice.",
    )
    item_report = models.JSONField(
        default=dict,
        blank=True,
        help_text="What validation did to the model's items: kept, normalised (by reason), dropped (by reason).",
    )
    rate_limit_waits = models.PositiveIntegerField(
        default=0, help_text="Provider rate-limit / overload waits that spent no attempt."
    )
    rate_limit_waited_seconds = models.FloatField(
        default=0.0, help_text="Total of those waits, against DEALIQ_RATE_LIMIT_WAIT_BUDGET_SECONDS."
    )
    message_batch_id = models.CharField(
        max_length=100, blank=True, help_text="Anthropic Message Batch holding this step's discovery calls."
    )
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Refreshed while a worker runs the step or holds its message."
    )
    held_by = models.CharField(
        max_length=200, blank=True, help_text="The worker that received this step's message and has not run it yet."
    )
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When a message for this step was last sent.")
    input_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="sha256 of everything the step's engine call depends on (its request's inputs, engine, model, "
        "prompt and rules version): equal fingerprints in a completed run of the deal let a step reuse its results.",
    )
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The step of an earlier completed run whose results this step copied (status reused).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RunStepQuerySet.as_manager()

    class Meta:
        ordering = ["run_id", "domain", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "domain", "kind"], name="step_unique_per_run"),
            choices_check("domain", DomainChoice, "step_domain_valid"),
            choices_check("kind", StepKind, "step_kind_valid"),
            choices_check("status", StepStatus, "step_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="step_status_heartbeat_idx"),
            # The worker's own heartbeat: one UPDATE over the messages it holds.
            models.Index(fields=["held_by", "status"], name="step_held_by_idx", condition=~Q(held_by="")),
            # Incremental re-analysis: "a settled step with this fingerprint in a completed run of the deal".
            models.Index(
                fields=["input_fingerprint", "domain", "kind"], name="step_fingerprint_idx",
                condition=~Q(input_fingerprint=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.domain} · {self.kind}"

    @property
    def item_summary(self) -> ItemReport:
        """What validation did to this step's items (kept, normalised and dropped, by reason)."""
        return ItemReport.from_dict(self.item_report)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

class EngineCall(models.Model):
    """One model call: what it cost and which request it was (for support tickets and audits)."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="engine_calls")
    step = models.ForeignKey(RunStep, null=True, on_delete=models.SET_NULL, related_name="engine_calls")
    attempt = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=100, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    service_tier = models.CharField(max_length=50, blank=True)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_creation_input_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_input_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model} {self.request_id}"
