"""Database backups and restores: pg_dump/pg_restore (custom format) on PostgreSQL, the SQLite
online backup API on SQLite (a consistent copy while the app keeps writing). Retention keeps the
newest N backups. Passwords travel in the child's environment (PGPASSWORD), never on its command line.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.db import connection

PREFIX = "dealiq-"
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}
MEDIA_SUFFIX = ".media.tar.gz"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why (tool output included)."""


@dataclass(frozen=True)
class Target:
    """A database to back up or restore into, as Django's settings dict describes it."""

    vendor: str
    settings: dict

    @classmethod
    def default(cls) -> "Target":
        return cls(connection.vendor, dict(connection.settings_dict))

    @classmethod
    def from_url(cls, url: str) -> "Target":
        parsed = dj_database_url.parse(url)
        vendor = {"django.db.backends.postgresql": "postgresql", "django.db.backends.sqlite3": "sqlite"}.get(
            parsed["ENGINE"]
        )
        if vendor is None:
            raise BackupError(f"unsupported database engine {parsed['ENGINE']!r}: PostgreSQL or SQLite only")
        return cls(vendor, parsed)

    @property
    def label(self) -> str:
        return str(self.settings.get("NAME"))

    def pg_env(self) -> dict:
        s = self.settings
        env = {**os.environ, "PGDATABASE": str(s["NAME"]), "PGUSER": s.get("USER") or "postgres"}
        if s.get("HOST"):
            env["PGHOST"] = str(s["HOST"])
        if s.get("PORT"):
            env["PGPORT"] = str(s["PORT"])
        if s.get("PASSWORD"):
            env["PGPASSWORD"] = str(s["PASSWORD"])
        return env


def _run(command: list[str], env: dict) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools are needed)") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _sqlite_copy(source: Path, destination: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(destination)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_files(directory: Path) -> list[Path]:
    """Backups in `directory`, oldest first (names carry a sortable UTC timestamp)."""
    if not directory.exists():
        return []
    suffixes = (*SUFFIXES.values(), MEDIA_SUFFIX)
    return sorted(p for p in directory.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(suffixes))


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of each kind; returns what was deleted."""
    removed = []
    for suffix in (*SUFFIXES.values(), MEDIA_SUFFIX):
        same_kind = [p for p in backup_files(directory) if p.name.endswith(suffix)]
        for old in same_kind[: max(0, len(same_kind) - max(keep, 1))]:
            old.unlink()
            removed.append(old)
    return removed


def make_backup(directory: Path | None = None, *, keep: int | None = None, media: bool = False,
                target: Target | None = None) -> list[Path]:
    """Back up the database (and optionally MEDIA_ROOT) into `directory`; prune to `keep`."""
    directory = Path(directory or settings.DEALIQ_BACKUP_DIR)
    keep = settings.DEALIQ_BACKUP_KEEP if keep is None else keep
    target = target or Target.default()
    if target.vendor not in SUFFIXES:
        raise BackupError(f"cannot back up a {target.vendor} database")
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    final = directory / f"{PREFIX}{stamp}{SUFFIXES[target.vendor]}"
    partial = final.with_name(final.name + ".partial")  # a crash never leaves a file that looks complete
    try:
        if target.vendor == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], target.pg_env())
        else:
            _sqlite_copy(Path(target.settings["NAME"]), partial)
        partial.rename(final)
    finally:
        partial.unlink(missing_ok=True)
    made = [final]
    if media:
        archive = directory / f"{PREFIX}{stamp}{MEDIA_SUFFIX}"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(settings.MEDIA_ROOT, arcname="media")
        made.append(archive)
    prune(directory, keep)
    return made


def restore_backup(path: Path, *, target: Target | None = None) -> None:
    """Restore `path` into `target` (default: this deployment's database), replacing its content.

    PostgreSQL: pg_restore --clean --if-exists in one transaction — all or nothing. The target
    database must exist (it may be empty). SQLite: the online backup API copies the file in.
    """
    path = Path(path)
    target = target or Target.default()
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if path.name.endswith(".dump"):
        if target.vendor != "postgresql":
            raise BackupError("a .dump backup restores into PostgreSQL only")
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", f"--dbname={target.settings['NAME']}", str(path)],
            target.pg_env(),
        )
    elif path.name.endswith(".sqlite3"):
        if target.vendor != "sqlite":
            raise BackupError("a .sqlite3 backup restores into SQLite only")
        if target.settings["NAME"] == connection.settings_dict.get("NAME"):
            connection.close()
        _sqlite_copy(path, Path(target.settings["NAME"]))
    else:
        raise BackupError(f"not a DealIQ backup: {path.name} (expected .dump or .sqlite3)")
