"""Disk-space preflight: refuse to start work that would fill the disk halfway through.

A run writes documents' pages, facts and audit rows; a full disk turns into half-written steps and
a stuck database. Checked before a run or batch is created, never during a step.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from analysis.services.runs import RunStateError

MB = 1024 * 1024


class InsufficientDiskSpace(RunStateError):
    """Not enough free disk to start a run; the message says where and how much."""


@dataclass(frozen=True)
class DiskUsage:
    path: str
    free_bytes: int
    total_bytes: int

    @property
    def free_mb(self) -> int:
        return self.free_bytes // MB


def watched_paths() -> list[Path]:
    """Where DealIQ writes: media (documents) and, with SQLite, the database file's folder."""
    paths = [Path(settings.MEDIA_ROOT)]
    if connection.vendor == "sqlite":
        paths.append(Path(connection.settings_dict["NAME"]).parent)
    return paths


def _existing(path: Path) -> Path:
    # MEDIA_ROOT may not exist before the first upload: measure the nearest existing parent.
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def disk_usage() -> list[DiskUsage]:
    seen, usages = set(), []
    for path in watched_paths():
        path = _existing(path)
        usage = shutil.disk_usage(path)
        key = (usage.total, usage.free)  # the same filesystem reported once
        if key in seen:
            continue
        seen.add(key)
        usages.append(DiskUsage(str(path), usage.free, usage.total))
    return usages


def lowest_free() -> DiskUsage:
    return min(disk_usage(), key=lambda u: u.free_bytes)


def ensure_disk_space(minimum_mb: int | None = None) -> DiskUsage:
    """The fullest watched filesystem; InsufficientDiskSpace when it has less than the minimum free."""
    minimum_mb = settings.DEALIQ_MIN_FREE_DISK_MB if minimum_mb is None else minimum_mb
    low = lowest_free()
    if low.free_bytes < minimum_mb * MB:
        raise InsufficientDiskSpace(
            f"Not enough free disk space to start an analysis: {low.free_mb} MB free on {low.path}, "
            f"at least {minimum_mb} MB needed (DEALIQ_MIN_FREE_DISK_MB). Free some space or ask an operator."
        )
    return low
