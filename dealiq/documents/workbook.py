"""XLSX text via openpyxl in read-only (streaming) mode: one page per worksheet.

Each page starts with `Sheet: <name>`, then one `header: value; header: value` line per row (see
tables.py). Rows are streamed and counted as they arrive, so a sheet of a million rows fails at the row
limit after reading only that many, never loading the sheet. Values are the ones Excel last computed
(`data_only`): a formula shows its cached result, as the analyst sees it in Excel.

Before openpyxl opens the file, sheetscan.py counts the rows of sheets that lack a `<dimension>`
(openpyxl would otherwise parse them whole just to size them).
"""
from __future__ import annotations

import io

import openpyxl

from .errors import CorruptFileError, ExtractionError, NoTextError
from .limits import Limits
from .normalize import normalize_inline
from .pages import PageCollector
from .sheetscan import precount_undimensioned_sheets
from .tables import RowBudget, render_rows

NOUN = "Excel workbook"


def read_xlsx(data: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    precount_undimensioned_sheets(data, limits)
    workbook = _open(data)
    try:
        return _read_sheets(workbook, limits)
    finally:
        workbook.close()  # read-only mode keeps the archive open until closed


def _open(data: bytes):
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # KeyError, XML errors, InvalidFileException...
        raise CorruptFileError("the Excel workbook is damaged and cannot be read", detail=repr(exc)) from None


def _read_sheets(workbook, limits: Limits) -> tuple[list[str], list[str]]:
    sheets = workbook.worksheets  # chart sheets hold no cell text and are not listed here
    collector = PageCollector(limits, noun=NOUN, unit="sheets")
    collector.check_page_count(len(sheets))
    budget = RowBudget(limits, noun=NOUN)
    empty: list[str] = []
    for sheet in sheets:
        lines = [f"Sheet: {normalize_inline(sheet.title)}", ""]
        pending = len(lines[0])
        try:
            # The stored dimension can be wrong in both directions (rows hidden past it, or a bogus
            # A1:XFD1048576); forgetting it makes openpyxl read exactly the rows the sheet holds.
            sheet.reset_dimensions()
            rows = budget.rows(sheet.iter_rows(values_only=True), where=f"sheet {sheet.title!r}")
            for line in render_rows(rows):
                pending += len(line) + 1
                collector.check_room(pending)
                lines.append(line)
        except ExtractionError:
            raise
        except Exception as exc:
            raise CorruptFileError(
                f"sheet {sheet.title!r} of the Excel workbook is damaged and cannot be read", detail=repr(exc)
            ) from None
        if len(lines) == 2:
            empty.append(sheet.title)
        collector.add("\n".join(lines).rstrip())
    if len(empty) == len(sheets):
        raise NoTextError("the Excel workbook contains no values")
    notes = [f"empty sheet{'s' if len(empty) > 1 else ''}: {', '.join(empty)}"] if empty else []
    return collector.pages, notes
