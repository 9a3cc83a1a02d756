"""A cheap byte scan of XLSX sheet parts, to stop oversized sheets before openpyxl opens them.

When a sheet lacks its `<dimension>` element (Excel always writes one, some generators do not),
`openpyxl.load_workbook(read_only=True)` parses the whole sheet just to size it: a million-row sheet
costs half a minute and ~100 MB before the first row reaches the streaming row counter. For those
sheets only, rows and cells are counted here by scanning the decompressed XML in 1 MB chunks for
`<row` and `<c` tags, stopping as soon as a limit is exceeded. Sheets with a dimension are left to
the streaming counter (tables.RowBudget), which openpyxl reaches at once.
"""
from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

from .errors import ExtractionError, SpreadsheetTooLargeError
from .limits import Limits

_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_HEAD_BYTES = 64 * 1024  # <dimension> comes before <sheetData>, right after the sheet properties
_DIMENSION = re.compile(rb"<(?:\w{1,16}:)?dimension[\s/>]")
_ROW_OR_CELL = re.compile(rb"<(?:\w{1,16}:)?(row|c)[\s/>]")
_CARRY = 24  # longer than any _ROW_OR_CELL match, so a tag split across two chunks is still seen
_CHUNK = 1 << 20


def precount_undimensioned_sheets(data: bytes, limits: Limits) -> None:
    """Count rows and cells of sheets without <dimension>, stopping at the limits (see module doc)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # already vetted by zipguard; openpyxl will report anything else
    cells = 0
    with archive:
        titles = _sheet_titles(archive)
        for name in archive.namelist():
            if not _SHEET_PART.fullmatch(name):
                continue
            try:
                with archive.open(name) as part:
                    head = part.read(_HEAD_BYTES)
                    if _DIMENSION.search(head.split(b"sheetData", 1)[0]):
                        continue
                    where = f"sheet {titles[name]!r}" if name in titles else f"a sheet of the Excel workbook ({name})"
                    cells = _count(part, head, cells, where, limits)
            except ExtractionError:
                raise  # a limit reached (ExtractionError is a ValueError: keep it out of the next clause)
            except Exception:  # BadZipFile, zlib.error, CRC mismatch...: a damaged part
                return  # openpyxl will fail on it too, and read_xlsx reports the workbook as damaged


def _count(part, head: bytes, cells: int, where: str, limits: Limits) -> int:
    """Rows of this sheet and cells of the workbook so far; returns the new cell total."""
    rows = 0
    carry_len = 0
    buffer = head
    while buffer:
        for match in _ROW_OR_CELL.finditer(buffer):
            if match.end() <= carry_len:
                continue  # fully inside the carried-over bytes: counted with the previous chunk
            if match.group(1) == b"row":
                rows += 1
                if rows > limits.max_sheet_rows:
                    raise SpreadsheetTooLargeError(
                        f"{where} has more than {limits.max_sheet_rows:,} rows, "
                        "the limit; split it or export the relevant part"
                    )
            else:
                cells += 1
                if cells > limits.max_cells:
                    raise SpreadsheetTooLargeError(
                        f"the Excel workbook has more than {limits.max_cells:,} cells, the limit"
                    )
        carry = buffer[-_CARRY:]
        chunk = part.read(_CHUNK)
        buffer = carry + chunk if chunk else b""
        carry_len = len(carry)
    return cells


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """{'xl/worksheets/sheet1.xml': 'Servers'}, so a limit message names the sheet the analyst sees."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # missing or odd parts: messages fall back to the part name
        return {}
    targets = {}
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return {
        targets[sheet.get(f"{_REL_NS}id")]: sheet.get("name", "")
        for sheet in workbook.iter(f"{_MAIN_NS}sheet")
        if sheet.get(f"{_REL_NS}id") in targets
    }
