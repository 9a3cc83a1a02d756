"""A data room, as a folder or a ZIP, laid out as `target/` and `buyer/` top-level folders.

`iter_dataroom(source)` yields a DataRoomFile(entity, path, data) for every document, where `entity`
is "target" or "buyer" and `path` is relative to that entity's folder. Folder names match
case-insensitively, and a ZIP whose only top-level entry is a folder holding target/ and buyer/ (what
"compress this folder" produces) is read from inside that folder. Files elsewhere (deal.json, a
README) are not documents of either side: they are reported to `on_skip` or ignored.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from .archive import OnSkip, is_noise, iter_archive, list_archive
from .errors import DataRoomLayoutError, FileTooLargeError
from .limits import DEFAULT_LIMITS, Limits, format_bytes

ENTITIES = ("target", "buyer")
_OUTSIDE = "outside the target/ and buyer/ folders"


class DataRoomFile(NamedTuple):
    entity: str  # "target" or "buyer"
    path: str  # relative to the entity folder, "/"-separated, e.g. "contracts/msa.pdf"
    data: bytes


def iter_dataroom(
    source: bytes | str | os.PathLike, limits: Limits = DEFAULT_LIMITS, *, on_skip: OnSkip | None = None
) -> Iterator[DataRoomFile]:
    """Documents of a data room: `source` is a folder, a ZIP file's path, or a ZIP's bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield from _iter_zip(bytes(source), limits, on_skip)
        return
    path = Path(source)
    if path.is_dir():
        yield from _iter_folder(path, limits, on_skip)
    elif path.is_file():
        yield from _iter_zip(path, limits, on_skip)
    else:
        raise DataRoomLayoutError(f"{path} is neither a folder nor a file")


def entity_of(first_folder: str) -> str | None:
    name = first_folder.lower()
    return name if name in ENTITIES else None


def _iter_zip(data, limits: Limits, on_skip: OnSkip | None) -> Iterator[DataRoomFile]:
    root = _archive_root(list_archive(data, limits))
    for member_path, content in iter_archive(data, limits, on_skip=on_skip):
        located = _locate(member_path, root)
        if located is None:
            if on_skip:
                on_skip(member_path, _OUTSIDE)
            continue
        entity, relative = located
        yield DataRoomFile(entity, relative, content)


def _archive_root(paths: list[str]) -> str:
    """'' if target/ or buyer/ sit at the top, else the single wrapping folder that holds them."""
    tops = {p.split("/", 1)[0] for p in paths if "/" in p}
    if any(entity_of(t) for t in tops):
        return ""
    wrappers = {p.split("/", 1)[0] for p in paths}
    if len(wrappers) == 1:
        (wrapper,) = wrappers
        inner = {p.split("/")[1] for p in paths if p.count("/") >= 2}
        if any(entity_of(t) for t in inner):
            return wrapper + "/"
    raise DataRoomLayoutError("the data room has no target/ or buyer/ folder at its top level")


def _locate(path: str, root: str) -> tuple[str, str] | None:
    if not path.startswith(root):
        return None
    parts = path[len(root):].split("/", 1)
    if len(parts) != 2 or not entity_of(parts[0]):
        return None
    return entity_of(parts[0]), parts[1]


def _iter_folder(folder: Path, limits: Limits, on_skip: OnSkip | None) -> Iterator[DataRoomFile]:
    entity_dirs = sorted(
        (entity_of(child.name), child)
        for child in folder.iterdir()
        if child.is_dir() and not child.is_symlink() and entity_of(child.name)
    )
    if not entity_dirs:
        raise DataRoomLayoutError(f"{folder} has no target/ or buyer/ folder")
    for entity, entity_dir in entity_dirs:
        # Sorted by relative path, the order iter_archive uses, so a folder and its ZIP import alike.
        found = sorted((path.relative_to(entity_dir).as_posix(), path) for path in _walk(entity_dir))
        for relative, file_path in found:
            if file_path.is_symlink():
                # A link could point anywhere on the server (/etc/passwd); never follow it.
                if on_skip:
                    on_skip(f"{entity_dir.name}/{relative}", "a symbolic link, not a file")
                continue
            size = file_path.stat().st_size
            if size > limits.max_file_bytes:
                reason = f"the file is {format_bytes(size)}, over the limit of {format_bytes(limits.max_file_bytes)}"
                if on_skip is None:
                    raise FileTooLargeError(f"{entity_dir.name}/{relative}: {reason}")
                on_skip(f"{entity_dir.name}/{relative}", reason)
                continue
            yield DataRoomFile(entity, relative, file_path.read_bytes())


def _walk(root: Path) -> Iterator[Path]:
    """Files under `root`, without descending into noise or linked folders."""
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs[:] = [d for d in subdirs if not is_noise(d)]
        for name in files:
            if not is_noise(name):
                yield Path(directory) / name
