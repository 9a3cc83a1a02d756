"""Append-only audit trail and in-app notifications."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import EventSeverity, choices_check


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def for_deal(self, deal):
        return self.filter(deal=deal)

    def for_run(self, run):
        return self.filter(run=run)

    def visible_to(self, user):
        from deals.models import Deal

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
        constraints = [choices_check("severity", EventSeverity, "audit_severity_valid")]
        indexes = [models.Index(fields=["deal", "at"], name="audit_deal_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def visible_to(self, user):
        """A user's own notifications, about deals they still belong to (superusers: all)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        from deals.models import Deal

        return self.for_user(user).filter(models.Q(deal__isnull=True) | models.Q(deal__in=Deal.objects.visible_to(user)))


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("analysis.AnalysisRun", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(
        "analysis.AnalysisBatch", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=50)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]

    def __str__(self) -> str:
        return self.message[:80]
