"""`manage.py doctor`: the /healthz report for a terminal. Exit code 1 when something fails."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from workers.ops.health import CHECK_NAMES, health_report

MARK = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}


class Command(BaseCommand):
    help = "Check database, broker, workers, beat, disk and queue (the same checks as /healthz)."

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(CHECK_NAMES)}")

    def handle(self, *args, only: str, **options):
        wanted = [name.strip() for name in only.split(",") if name.strip() in CHECK_NAMES] or None
        report = health_report(only=wanted)
        for name, check in report["checks"].items():
            status = check.pop("status")
            details = ", ".join(f"{k}={v}" for k, v in check.items())
            line = f"{MARK[status]} {name:<9} {details}"
            self.stdout.write(self.style.ERROR(line) if status == "fail" else self.style.WARNING(line)
                              if status == "warn" else line)
        healthy = report["status"] == "ok"
        self.stdout.write(f"overall: {'healthy' if healthy else 'UNHEALTHY'} ({report['duration_ms']} ms)")
        if not healthy:
            raise SystemExit(1)
