"""`manage.py purge_old_events`: drop audit events and engine-call rows past their retention."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from workers.ops.retention import purge_old_rows


class Command(BaseCommand):
    help = "Delete audit events older than DEALIQ_AUDIT_RETENTION_DAYS and engine-call usage rows older than DEALIQ_USAGE_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--audit-days", type=int, default=None)
        parser.add_argument("--usage-days", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true", help="count only")

    def handle(self, *args, audit_days, usage_days, dry_run, **options):
        audit_days = settings.DEALIQ_AUDIT_RETENTION_DAYS if audit_days is None else audit_days
        usage_days = settings.DEALIQ_USAGE_RETENTION_DAYS if usage_days is None else usage_days
        if min(audit_days, usage_days) < 1:
            from django.core.management.base import CommandError

            raise CommandError("retention must be at least 1 day")
        result = purge_old_rows(audit_days=audit_days, usage_days=usage_days, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb}: {result.audit_events} audit event(s) older than {audit_days} days, "
            f"{result.engine_calls} engine call row(s) older than {usage_days} days, "
            f"{result.notifications} read notification(s)"
        )
