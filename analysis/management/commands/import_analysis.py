"""Import an earlier analysis (DealIQ's JSON export or a file-based tool's JSON lists) as a new run."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dealiq.analysis_import import ImportFormatError
from deals.models import Deal

from ...services.imports import import_analysis


class Command(BaseCommand):
    help = (
        "Import an earlier analysis into a deal as a new run marked imported: DealIQ's JSON export or the "
        "legacy layout (JSON lists of facts, gaps, risks / work items / recommendations). PATH is a .json "
        "file or a folder of them. Prints progress, then a reconciliation report: read, stored and rejected "
        "(with the reason) per kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("deal", help="deal id or exact deal name")
        parser.add_argument("path", help=".json file or folder of .json files")

    def handle(self, *args, deal: str, path: str, **options):
        found = Deal.objects.filter(pk=int(deal)).first() if deal.isdigit() else Deal.objects.filter(name=deal).first()
        if found is None:
            raise CommandError(f"no deal {deal!r} (give its id or exact name)")
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist (expected a .json file or a folder of them)")

        def progress(percent: int, message: str):
            self.stdout.write(f"[{percent:>3}%] {message}")

        try:
            report = import_analysis(found, source, progress=progress)
        except ImportFormatError as exc:
            raise CommandError(f"cannot import {path}: {exc}") from None
        for line in report.lines():
            style = self.style.WARNING if line.startswith("rejected") or "MISMATCH" in line else (lambda s: s)
            self.stdout.write(style(line))
        if not report.balanced:
            raise CommandError("the counts do not reconcile (see above)")
