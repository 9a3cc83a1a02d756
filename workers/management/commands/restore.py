"""`manage.py restore FILE`: replace a database's content with a backup (see docs/operations.md)."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workers.ops.backup import BackupError, Target, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into this database (or --database-url)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database-url", default=None, help="restore into another (existing, may be empty) database")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, file: Path, database_url: str | None, yes: bool, **options):
        try:
            target = Target.from_url(database_url) if database_url else Target.default()
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not yes:
            answer = input(f"Replace everything in database {target.label!r} with {file.name}? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        try:
            restore_backup(file, target=target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored {file.name} into {target.label}")
