"""Reading a data-room ZIP one member at a time, safely.

The whole archive passes the zip-bomb check (zipguard) and every member path is validated *before*
the first member is decompressed, so a hostile archive is refused as a whole rather than half
imported. Members are then decompressed one at a time, so memory holds one document, not the room.

Skipped silently: directories, macOS `__MACOSX/` debris, dotfiles and dot-folders, Thumbs.db and
desktop.ini. Reported to `on_skip(path, reason)`: symbolic links, and members that cannot be
delivered (over Limits.max_file_bytes, or undecompressable). Without `on_skip`, an undeliverable
member raises (an analyst expects every document of the room), a symbolic link is ignored.
"""
from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import CorruptFileError, FileTooLargeError, UnsafeArchiveError
from .limits import DEFAULT_LIMITS, Limits, format_bytes
from .zipguard import open_zip

OnSkip = Callable[[str, str], None]

_NOISE_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}
_UTF8_NAME_FLAG = 0x800


@dataclass(frozen=True)
class _Member:
    path: str  # normalised, relative, "/"-separated
    info: zipfile.ZipInfo


def iter_archive(
    data: bytes | str | os.PathLike, limits: Limits = DEFAULT_LIMITS, *, on_skip: OnSkip | None = None
) -> Iterator[tuple[str, bytes]]:
    """(relative_path, bytes) for every document in the ZIP `data` (bytes or a path), sorted by path."""
    with open_zip(data, limits, what="archive", max_total_bytes=limits.max_archive_bytes) as archive:
        members = _safe_members(archive)
        for member in members:
            content = _read_member(archive, member, limits, on_skip)
            if content is not None:
                yield member.path, content


def list_archive(data: bytes | str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The paths iter_archive would consider, without decompressing anything."""
    with open_zip(data, limits, what="archive", max_total_bytes=limits.max_archive_bytes) as archive:
        return [m.path for m in _safe_members(archive)]


def is_noise(path: str) -> bool:
    """OS debris that is never a document: dotfiles, dot-folders, __MACOSX/, Thumbs.db, desktop.ini."""
    return any(part.startswith(".") or part.lower() in _NOISE_NAMES for part in path.split("/"))


def _safe_members(archive: zipfile.ZipFile) -> list[_Member]:
    members = []
    for info in archive.infolist():
        path = _member_path(info)
        if info.is_dir() or not path or is_noise(path):
            continue
        members.append(_Member(path, info))
    return sorted(members, key=lambda m: m.path)


def _member_path(info: zipfile.ZipInfo) -> str:
    """The member's path, relative and normalised; refuses absolute and `..` paths outright."""
    name = info.filename
    if not info.flag_bits & _UTF8_NAME_FLAG:
        # Without the UTF-8 flag zipfile decodes names as cp437, but many tools wrote UTF-8 anyway.
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass
    name = unicodedata.normalize("NFC", name).replace("\\", "/")  # macOS writes decomposed accents
    parts = name.split("/")
    if name.startswith("/") or (parts and len(parts[0]) == 2 and parts[0][1] == ":") or ".." in parts:
        raise UnsafeArchiveError(
            f"the archive contains an unsafe path {info.filename!r} (absolute, or climbing out with '..'); "
            "nothing was imported"
        )
    return "/".join(p for p in parts if p not in ("", "."))


def _read_member(archive: zipfile.ZipFile, member: _Member, limits: Limits, on_skip: OnSkip | None) -> bytes | None:
    info = member.info
    if stat.S_ISLNK(info.external_attr >> 16):
        if on_skip:
            on_skip(member.path, "a symbolic link, not a file")
        return None
    if info.file_size > limits.max_file_bytes:
        return _undeliverable(
            member.path,
            f"the file is {format_bytes(info.file_size)}, over the limit of {format_bytes(limits.max_file_bytes)}",
            FileTooLargeError,
            on_skip,
        )
    try:
        return archive.read(info)
    except Exception as exc:  # CRC mismatch, unsupported method (Deflate64), truncated data...
        reason = "it cannot be decompressed (damaged, or an unsupported method)"
        return _undeliverable(member.path, reason, CorruptFileError, on_skip, detail=repr(exc))


def _undeliverable(path: str, reason: str, error, on_skip: OnSkip | None, *, detail: str | None = None) -> None:
    if on_skip is None:
        raise error(f"{path}: {reason}", detail=detail)
    on_skip(path, reason)
    return None
