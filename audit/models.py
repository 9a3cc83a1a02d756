"""The audit trail: append-only events — who did what, to which deal, run or object, and when.

Its own app beneath deals (config → pages → workers → analysis → deals → audit → dealiq), so every
service that changes state — in deals/ as in analysis/ — records its event itself, in its own
transaction. Foreign keys name the deal, run and user by label only: nothing here imports the apps above.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def for_deal(self, deal):
        return self.filter(deal=deal)

    def for_run(self, run):
        return self.filter(run=run)

    def visible_to(self, user):
        # The deal's own rule (members; superusers all), reached through the foreign key: audit sits
        # beneath deals and imports nothing of it.
        Deal = self.model._meta.get_field("deal").related_model
        return self.filter(deal__in=Deal.objects.visible_to(user))

    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only (retention clean-up uses purge_before)")

    def purge_before(self, cutoff) -> int:
        """The retention clean-up: the one sanctioned way audit rows leave the table."""
        return models.QuerySet.delete(self.filter(at__lt=cutoff))[0]


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, help_text="User name or worker host.")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(
        "analysis.AnalysisRun", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    event_type = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    severity = models.CharField(max_length=10, choices=EventSeverity.choices, default=EventSeverity.INFO)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # The table keeps the name it had in analysis/ (audit/migrations/0001 moved the model, not the rows).
        db_table = "analysis_auditevent"
        constraints = [
            models.CheckConstraint(condition=models.Q(severity__in=EventSeverity.values), name="audit_severity_valid")
        ]
        indexes = [models.Index(fields=["deal", "at"], name="audit_deal_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
