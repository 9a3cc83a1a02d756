"""`manage.py backup`: a consistent database backup (and optionally the media files), with retention."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workers.ops.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database into DEALIQ_BACKUP_DIR (pg_dump custom format / SQLite backup API)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help="default: DEALIQ_BACKUP_DIR")
        parser.add_argument("--keep", type=int, default=None, help="backups to keep (default DEALIQ_BACKUP_KEEP)")
        parser.add_argument("--media", action="store_true", help="also archive MEDIA_ROOT (uploaded documents)")

    def handle(self, *args, dir: Path | None, keep: int | None, media: bool, **options):
        try:
            made = make_backup(dir, keep=keep, media=media)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for path in made:
            self.stdout.write(f"backup written: {path} ({path.stat().st_size:,} bytes)")
        self.stdout.write(f"keeping the newest {settings.DEALIQ_BACKUP_KEEP if keep is None else keep} backups")
