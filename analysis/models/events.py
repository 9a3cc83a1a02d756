"""In-app notifications (the audit trail is the audit app: audit/models.py)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
