"""Retention clean-up: audit events and per-call engine usage rows older than their retention.

Runs, steps, facts, gaps and findings are the deliverable and are never purged here; run totals
(tokens, cost) stay on the run row, so dropping old per-call rows loses no totals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analysis.models import EngineCall, Notification
from audit.models import AuditEvent


@dataclass(frozen=True)
class PurgeResult:
    audit_events: int
    engine_calls: int
    notifications: int


def purge_old_rows(*, audit_days: int | None = None, usage_days: int | None = None, dry_run: bool = False,
                   now: dt.datetime | None = None) -> PurgeResult:
    now = now or timezone.now()
    audit_cutoff = now - dt.timedelta(days=settings.DEALIQ_AUDIT_RETENTION_DAYS if audit_days is None else audit_days)
    usage_cutoff = now - dt.timedelta(days=settings.DEALIQ_USAGE_RETENTION_DAYS if usage_days is None else usage_days)
    old_calls = EngineCall.objects.filter(created_at__lt=usage_cutoff)
    # Read notifications follow the audit retention; unread ones are kept whatever their age.
    old_notes = Notification.objects.filter(created_at__lt=audit_cutoff, read_at__isnull=False)
    if dry_run:
        return PurgeResult(
            AuditEvent.objects.filter(at__lt=audit_cutoff).count(), old_calls.count(), old_notes.count()
        )
    with transaction.atomic():
        audit = AuditEvent.objects.purge_before(audit_cutoff)
        calls = old_calls.delete()[0]
        notes = old_notes.delete()[0]
    return PurgeResult(audit, calls, notes)
