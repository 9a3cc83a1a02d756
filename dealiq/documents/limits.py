"""Safety limits for extraction. The defaults are sane for a data room; Django settings override them.

Every limit bounds memory or time *before* the expensive work where possible: file size before
parsing, a ZIP's declared sizes before decompressing, a sheet's rows while streaming it.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True)
class Limits:
    #: Largest document accepted, checked before any parsing.
    max_file_bytes: int = 50 * MB
    #: Most pages one document may produce (PDF pages, DOCX/TXT/CSV blocks, XLSX sheets).
    max_pages: int = 2_000
    #: Most characters of text one document may produce, all pages together.
    max_chars: int = 10_000_000
    #: Most rows read from one XLSX sheet or CSV file (counted by row position, empty rows included).
    max_sheet_rows: int = 100_000
    #: Most cells read from one workbook or CSV file, all sheets together (empty cells inside a row included).
    max_cells: int = 2_000_000
    #: Most members a ZIP container (DOCX, XLSX, data-room archive) may list.
    max_zip_members: int = 10_000
    #: Largest total uncompressed size of one DOCX or XLSX, from the ZIP's central directory.
    max_uncompressed_bytes: int = 200 * MB
    #: Largest uncompressed/compressed ratio of one ZIP member (checked on members over 1 MB).
    max_compression_ratio: int = 100
    #: Largest total uncompressed size of a data-room archive (members are read one at a time).
    max_archive_bytes: int = 2 * GB

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()


def format_bytes(size: int) -> str:
    """`52428800` -> `50 MB`: sizes as analysts read them (binary units, one decimal when useful)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{size:,} bytes"
    return f"{value:.1f} {unit}".replace(".0 ", " ")
