"""Streaming writers: CSV and JSON yield chunks as rows arrive from the database (server-side iterator);
XLSX uses openpyxl's write-only mode into a temporary file that is then streamed.

Workbook sheets have a styled header row, frozen panes below it, an autofilter over the data, set
column widths, wrapped long text, and typed cells: integers, money (#,##0), percentages and dates.
"""
from __future__ import annotations

import csv
import json
import tempfile
from typing import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from .columns import COLUMNS, DATE, INTEGER, JSON_NATIVE, MONEY, PERCENT, WRAP, Column

CHUNK = 2000  # rows fetched per round trip
MAX_CELL = 32767  # Excel's limit on a cell's text


class _Echo:
    def write(self, value):
        return value


def _rows(qs, run_number: int | None) -> Iterator:
    """The rows with their run number: one run's (the pages' exports), or with run_number=None each row's
    own (the admin's selection across runs; select_related("run") keeps that one query)."""
    rows = qs.iterator(chunk_size=CHUNK) if hasattr(qs, "iterator") else qs
    for row in rows:
        if not isinstance(row, dict):
            row.run_number = row.run.number if run_number is None else run_number
        yield row


def numbered(rows: Iterable) -> Iterator:
    """The VDR list's request numbers: 1, 2, 3… in the list's order."""
    for number, row in enumerate(rows, 1):
        row.request_number = number
        yield row


def csv_chunks(kind: str, qs, run_number: int | None) -> Iterator[str]:
    columns = COLUMNS[kind]
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel opens UTF-8 CSV correctly
    yield writer.writerow([c.name for c in columns])
    rows = _rows(qs, run_number)
    if kind == "vdr":
        rows = numbered(rows)
    buffer = []
    for row in rows:
        buffer.append(writer.writerow([_cell(c.value(row)) for c in columns]))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def _json_value(column: Column, row):
    if column.name in JSON_NATIVE:
        return getattr(row, column.name, None)
    return column.value(row)


def json_chunks(kind: str, qs, run_number: int, meta: dict) -> Iterator[str]:
    columns = COLUMNS[kind]
    head = json.dumps(meta, ensure_ascii=False)[:-1]  # the meta object, left open for "items"
    yield head + ', "items": [\n'
    first = True
    for row in _rows(qs, run_number):
        item = {c.name: _json_value(c, row) for c in columns}
        yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False, default=str)
        first = False
    yield "\n]}\n"


_THIN = Side(style="thin", color="B7C3D0")


def _styles(workbook: Workbook) -> dict[str, str]:
    """Named styles (registered once per workbook, so each cell carries a style id, not a copy)."""
    specs = {
        "dq-header": dict(
            font=Font(bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor="1F3A5F"),
            alignment=Alignment(wrap_text=True, vertical="center"), border=Border(bottom=_THIN),
        ),
        "dq-text": dict(alignment=Alignment(vertical="top")),
        WRAP: dict(alignment=Alignment(wrap_text=True, vertical="top")),
        INTEGER: dict(number_format="0", alignment=Alignment(vertical="top")),
        MONEY: dict(number_format="#,##0", alignment=Alignment(vertical="top")),
        PERCENT: dict(number_format="0%", alignment=Alignment(vertical="top")),
        DATE: dict(number_format="yyyy-mm-dd hh:mm", alignment=Alignment(vertical="top")),
    }
    names = {}
    for kind, spec in specs.items():
        name = kind if kind.startswith("dq-") else f"dq-{kind}"
        workbook.add_named_style(NamedStyle(name=name, **spec))
        names[kind] = name
    return names


def write_workbook(sheets: Iterable[tuple[str, str, object]], run_number: int):
    """sheets: (title, kind, rows — a queryset or a list). Returns an open temporary file at 0."""
    workbook = Workbook(write_only=True)
    styles = _styles(workbook)
    for title, kind, qs in sheets:
        sheet = workbook.create_sheet(title=title)
        columns = COLUMNS[kind]
        for index, column in enumerate(columns, 1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = "A2"  # the header stays in view
        sheet.append([_styled(sheet, column.header, styles["dq-header"]) for column in columns])
        rows = _rows(qs, run_number)
        if kind == "vdr":
            rows = numbered(rows)
        count = 0
        for row in rows:
            sheet.append([_styled(sheet, _cell(c.workbook_value(row)), styles.get(c.kind, styles["dq-text"])) for c in columns])
            count += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool


def _styled(sheet, value, style: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.style = style
    return cell


def _cell(value):
    # Spreadsheet formula injection: text starting with = + - @ is written as text, not a formula.
    if isinstance(value, str):
        if value[:1] in ("=", "+", "-", "@"):
            value = "'" + value
        return value[:MAX_CELL]
    return value
