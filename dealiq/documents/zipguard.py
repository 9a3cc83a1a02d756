"""Opening ZIP containers (DOCX, XLSX, data-room archives) without letting them explode.

Everything is checked from the central directory, which `zipfile.ZipFile` reads without
decompressing a byte: the member count, the total declared uncompressed size and each member's
compression ratio. The declared sizes can be trusted as an upper bound because `zipfile` never
returns more than a member's declared `file_size` (a member that lies fails its CRC check instead),
and python-docx and openpyxl read through `zipfile` too.
"""
from __future__ import annotations

import io
import os
import zipfile

from .errors import CorruptFileError, EncryptedFileError, ZipBombError
from .limits import MB, Limits, format_bytes

# Small members are exempt from the ratio check: a 200 KB XML part compressed 300:1 harms nobody,
# and tiny repetitive parts (styles, empty sheets) routinely exceed any sane ratio.
RATIO_CHECK_MIN_BYTES = 1 * MB


def open_zip(
    data: bytes | str | os.PathLike, limits: Limits, *, what: str, max_total_bytes: int
) -> zipfile.ZipFile:
    """Open `data` (bytes, or the path of a ZIP file) after checking its central directory against `limits`.

    `what` names the container in messages ("Word document", "archive"); `max_total_bytes` is the
    total uncompressed size allowed (Limits.max_uncompressed_bytes for one document,
    Limits.max_archive_bytes for a data room).
    """
    try:
        archive = zipfile.ZipFile(data if isinstance(data, (str, os.PathLike)) else io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFileError(f"the {what} is damaged: its ZIP structure cannot be read", detail=str(exc)) from None
    check_members(archive.infolist(), limits, what=what, max_total_bytes=max_total_bytes)
    return archive


def check_members(members: list[zipfile.ZipInfo], limits: Limits, *, what: str, max_total_bytes: int) -> None:
    if len(members) > limits.max_zip_members:
        raise ZipBombError(
            f"the {what} has {len(members):,} entries, over the limit of {limits.max_zip_members:,}"
        )
    for member in members:
        if member.file_size < RATIO_CHECK_MIN_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ZipBombError(
                f"the {what} contains {member.filename!r}, compressed {ratio:,.0f}:1 "
                f"(limit {limits.max_compression_ratio}:1, a possible zip bomb)"
            )
    total = sum(m.file_size for m in members)
    if total > max_total_bytes:
        raise ZipBombError(
            f"the {what} would expand to {format_bytes(total)}, over the limit of "
            f"{format_bytes(max_total_bytes)} (a possible zip bomb)"
        )
    if any(m.flag_bits & 0x1 for m in members):
        raise EncryptedFileError(f"the {what} is password-protected")


def ooxml_kind(archive: zipfile.ZipFile) -> str:
    """'docx', 'xlsx', 'pptx', 'opendocument' or 'zip', from the parts the archive lists."""
    names = set(archive.namelist())
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return "docx"
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names and "content.xml" in names:
        return "opendocument"
    return "zip"
