"""Streaming writers: CSV and JSON yield chunks as rows arrive from the database (server-side iterator);
XLSX uses openpyxl's write-only mode into a temporary file that is then streamed."""
from __future__ import annotations

import csv
import json
import tempfile
from typing import Iterable, Iterator

from openpyxl import Workbook

from .columns import COLUMNS, JSON_NATIVE

CHUNK = 2000  # rows fetched per round trip


class _Echo:
    def write(self, value):
        return value


def _rows(qs, run_number: int) -> Iterator:
    for row in qs.iterator(chunk_size=CHUNK):
        row.run_number = run_number
        yield row


def csv_chunks(kind: str, qs, run_number: int) -> Iterator[str]:
    columns = COLUMNS[kind]
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel opens UTF-8 CSV correctly
    yield writer.writerow([header for header, _ in columns])
    buffer = []
    for row in _rows(qs, run_number):
        buffer.append(writer.writerow([_cell(value(row)) for _, value in columns]))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def _json_value(header, getter, row):
    if header in JSON_NATIVE:
        return getattr(row, header, None)
    return getter(row)


def json_chunks(kind: str, qs, run_number: int, meta: dict) -> Iterator[str]:
    columns = COLUMNS[kind]
    head = json.dumps(meta, ensure_ascii=False)[:-1]  # the meta object, left open for "items"
    yield head + ', "items": [\n'
    first = True
    for row in _rows(qs, run_number):
        item = {header: _json_value(header, value, row) for header, value in columns}
        yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False, default=str)
        first = False
    yield "\n]}\n"


def write_workbook(sheets: Iterable[tuple[str, str, object]], run_number: int):
    """sheets: (title, kind, queryset). Returns an open temporary file positioned at 0."""
    workbook = Workbook(write_only=True)
    for title, kind, qs in sheets:
        sheet = workbook.create_sheet(title=title)
        columns = COLUMNS[kind]
        sheet.append([header for header, _ in columns])
        for row in _rows(qs, run_number):
            sheet.append([_cell(value(row)) for _, value in columns])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool


def _cell(value):
    # Spreadsheet formula injection: text starting with = + - @ is written as text, not a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
