"""A deal's data room from a folder or a .zip: `target/` and `buyer/` (and, for a folder, `deal.json`).

Reading the room (layout, unsafe archive paths, zip-bomb guard, symbolic links) is
dealiq.documents.iter_dataroom's job; this module stores each file through `store_document`, one file
at a time, so a bad file is reported and the import goes on.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dealiq.documents import ExtractionError, iter_dataroom
from dealiq.documents.archive import is_noise, iter_archive, list_archive
from dealiq.documents.dataroom import entity_of

from .ingestion import Outcome, StoreResult, display_name, document_limits, store_document
from .membership import create_deal
from .models import Deal

# progress(index, total, entity, path, result): called after every file, skipped ones included.
Progress = Callable[[int, int, str, str, StoreResult], None]


class DataRoomError(ValueError):
    """The room as a whole cannot be imported (no target/ or buyer/, an unsafe or exploding archive)."""


def count_documents(source: Path) -> int:
    """About how many files the import will go through, for a progress bar (nothing is decompressed)."""
    limits = document_limits()
    try:
        if source.is_dir():
            return sum(
                1
                for child in source.iterdir()
                if child.is_dir() and entity_of(child.name)
                for _, _, files in os.walk(child)
                for name in files
                if not is_noise(name)
            )
        paths = list_archive(source, limits)
    except (OSError, ExtractionError):
        return 0
    return len(paths)  # members outside target/ and buyer/ get a "skipped" line too


def import_dataroom(
    deal: Deal, source: Path, *, uploaded_by=None, progress: Progress | None = None, extract_inline: bool | None = None
) -> list[StoreResult]:
    """Store every document of the room at `source` (a folder or a .zip file) into `deal`."""
    limits = document_limits()
    total = count_documents(source)
    results: list[StoreResult] = []

    def report(entity: str, path: str, result: StoreResult) -> None:
        nonlocal total
        results.append(result)
        total = max(total, len(results))
        if progress:
            progress(len(results), total, entity, path, result)

    def skipped(path: str, reason: str) -> None:
        entity = entity_of(path.split("/", 1)[0]) or "-"
        report(entity, path, StoreResult(PurePosixPath(path).name, Outcome.SKIPPED, reason))

    try:
        for item in iter_dataroom(source, limits, on_skip=skipped):
            name = PurePosixPath(item.path).name  # versions go by file name; sub-folders only organise
            result = store_document(
                deal, item.entity, name, item.data, uploaded_by=uploaded_by, limits=limits, extract_inline=extract_inline
            )
            report(item.entity, item.path, result)
    except ExtractionError as exc:  # layout, unsafe paths, zip bomb: refused before anything is stored
        raise DataRoomError(f"{source}: {exc}") from None
    if not results:
        raise DataRoomError(f"{source} has no files under target/ or buyer/")
    return results


def import_folder(deal: Deal, folder: Path, *, uploaded_by=None, progress: Progress | None = None) -> list[StoreResult]:
    """A folder data room, extracted inline (callers start a run right after)."""
    return import_dataroom(deal, Path(folder), uploaded_by=uploaded_by, progress=progress, extract_inline=True)


def read_deal_meta(folder: Path) -> dict:
    meta_path = folder / "deal.json"
    if not meta_path.exists():
        raise DataRoomError(f"{meta_path} not found")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataRoomError(f"{meta_path} is not valid JSON: {exc}") from None
    if not meta.get("name") or not meta.get("target_name"):
        raise DataRoomError(f"{meta_path} needs at least name and target_name")
    return meta


def deal_from_folder(folder: Path, *, owner=None, uploaded_by=None) -> tuple[Deal, Counter]:
    """Get or create the deal named in deal.json and import its documents (content dedup makes it idempotent)."""
    meta = read_deal_meta(folder)
    deal = Deal.objects.filter(name=meta["name"]).order_by("id").first()
    if deal is None:
        deal = create_deal(
            name=meta["name"],
            target_name=meta["target_name"],
            buyer_name=meta.get("buyer_name", ""),
            deal_type=meta.get("deal_type", "acquisition"),
            industry=meta.get("industry", ""),
            reference_date=dt.date.fromisoformat(meta["reference_date"]) if meta.get("reference_date") else dt.date.today(),
            owner=owner,
        )
    results = import_folder(deal, folder, uploaded_by=uploaded_by)
    return deal, Counter(r.outcome for r in results)


def import_uploaded_archive(deal: Deal, entity: str, name: str, uploaded_file, *, uploaded_by=None) -> list[StoreResult]:
    """A .zip uploaded on the documents page, one result line per member.

    A data room (top-level `target/` and `buyer/` folders) is imported as `import_dataroom` does, each
    document to the entity its folder names; any other archive's documents go to `entity`. A hostile or
    exploding archive is refused whole, before a member is stored.
    """
    limits = document_limits()
    shown = display_name(name)
    if uploaded_file.size > limits.max_archive_bytes:
        return [StoreResult(shown, Outcome.REJECTED, f"the archive is larger than {limits.max_archive_bytes:,} bytes")]
    with _uploaded_path(uploaded_file) as path:
        try:
            paths = list_archive(path, limits)
        except ExtractionError as exc:
            return [StoreResult(shown, Outcome.REJECTED, str(exc))]
        if any(entity_of(member.split("/", 1)[0]) for member in paths):
            lines: list[StoreResult] = []
            try:
                import_dataroom(deal, path, uploaded_by=uploaded_by,
                                progress=lambda i, n, ent, member, r: lines.append(_member_line(shown, _in_room(ent, member), r)))
            except DataRoomError as exc:
                return [StoreResult(shown, Outcome.REJECTED, str(exc).replace(str(path), shown))]
            return lines
        lines = []
        skipped = lambda member, reason: lines.append(StoreResult(f"{shown} › {member}", Outcome.SKIPPED, reason))  # noqa: E731
        try:
            for member, data in iter_archive(path, limits, on_skip=skipped):
                result = store_document(deal, entity, PurePosixPath(member).name, data, uploaded_by=uploaded_by, limits=limits)
                lines.append(_member_line(shown, member, result))
        except ExtractionError as exc:
            return [StoreResult(shown, Outcome.REJECTED, str(exc))]
        return lines or [StoreResult(shown, Outcome.REJECTED, "the archive holds no documents")]


def _in_room(entity: str, path: str) -> str:
    """The member's path in the archive: import_dataroom reports documents relative to their entity folder."""
    return path if entity == "-" or path.split("/", 1)[0] == entity else f"{entity}/{path}"


def _member_line(archive: str, member: str, result: StoreResult) -> StoreResult:
    return dataclasses.replace(result, filename=f"{archive} › {member}")


@contextlib.contextmanager
def _uploaded_path(uploaded_file):
    """A path to the upload: Django's own temporary file when it spooled one, else a copy of the bytes."""
    if hasattr(uploaded_file, "temporary_file_path"):
        yield Path(uploaded_file.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        uploaded_file.seek(0)
        shutil.copyfileobj(uploaded_file, copy)
        copy.flush()
        yield Path(copy.name)
