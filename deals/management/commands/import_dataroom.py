"""Import a data room (a folder or a .zip with target/ and buyer/) into a deal, with a progress bar."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deals.dataroom_import import DataRoomError, import_dataroom
from deals.ingestion import Outcome
from deals.models import Deal
from workers.document_tasks import finish_upload

BAR_WIDTH = 20


def progress_bar(index: int, total: int, width: int = BAR_WIDTH) -> str:
    """`[#####...............]  5/20`: how far the import is."""
    total = max(total, index, 1)
    filled = round(width * index / total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {index:>{len(str(total))}}/{total}"


class Command(BaseCommand):
    help = (
        "Import a data room into a deal: a folder or a .zip holding target/ and buyer/ folders. "
        "One line per file (stored / duplicate / new version / rejected with the reason); a bad file "
        "never stops the import."
    )

    def add_arguments(self, parser):
        parser.add_argument("deal_id", type=int)
        parser.add_argument("source", help="data-room folder or .zip file")
        parser.add_argument(
            "--defer",
            action="store_true",
            help="store files as pending and let the workers extract them (default: extract here, so "
            "every line already says whether the file could be read)",
        )

    def handle(self, *args, deal_id: int, source: str, defer: bool = False, **options):
        deal = Deal.objects.filter(pk=deal_id).first()
        if deal is None:
            raise CommandError(f"deal {deal_id} does not exist")
        root = Path(source)
        if not root.exists():
            raise CommandError(f"{source} does not exist (expected a folder or a .zip file)")

        def report(index, total, entity, path, result):
            line = f"{progress_bar(index, total)} {entity}/{path}: {result.outcome}"
            if result.message:
                line += f" ({result.message})"
            style = self.style.ERROR if result.outcome == Outcome.REJECTED else (lambda s: s)
            self.stdout.write(style(line))

        try:
            results = import_dataroom(deal, root, progress=report, extract_inline=not defer)
        except DataRoomError as exc:
            raise CommandError(str(exc)) from None
        finish_upload(results, deal=deal, source="import_dataroom")
        tally = Counter(r.outcome for r in results)
        order = [Outcome.STORED, Outcome.NEW_VERSION, Outcome.DUPLICATE, Outcome.REJECTED, Outcome.SKIPPED]
        summary = ", ".join(f"{tally[k]} {k}" for k in order if tally[k])
        style = self.style.WARNING if tally[Outcome.REJECTED] else self.style.SUCCESS
        self.stdout.write(style(f"Imported {len(results)} file(s) into deal {deal.pk} ({deal.name}): {summary}"))
