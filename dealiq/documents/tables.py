"""Rows of a spreadsheet or CSV file as quotable lines: `header: value; header: value`.

The first row with two or more values is the header (a one-cell title row above it is kept as text);
each later non-empty row becomes one line pairing every non-empty value with its column's header, so a
quote taken from one line names what the value is. A CSV line with more or fewer fields than the header
(an unquoted comma, a missing delimiter) is written as it stands and flagged ("Row 7 has 6 fields, the
header 5: a | b | …"), never paired with headers it may not belong to.
The same rendering serves XLSX and CSV so a fact reads the same whichever format the data came in.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from .errors import SpreadsheetTooLargeError
from .limits import Limits
from .normalize import normalize_inline

ROW_SEPARATOR = "; "


def render_rows(rows: Iterable[Sequence[object]], *, delimited: bool = False) -> Iterator[str]:
    """`delimited` (CSV): a row whose field count differs from the header's is flagged, not paired. In a
    spreadsheet a cell's column is its position, so a value under an unnamed column is "Column C"."""
    header: list[str] | None = None
    rendered_any = False
    titles: list[str] = []
    for position, row in enumerate(rows, 1):
        cells = [format_cell(value) for value in row]
        if not any(cells):
            continue
        if header is None:
            if sum(1 for c in cells if c) < 2 and not titles:
                # A title above the table ("Server inventory – March 2024"), not its header.
                titles.append(next(c for c in cells if c))
                yield titles[-1]
                continue
            header = cells
            continue
        # Trailing empty fields past the header are a stray delimiter, not data.
        fields = len(cells) if len(cells) <= len(header) else max(_width(cells), len(header))
        if delimited and fields != len(header):
            # More values than columns, or a CSV line with fewer fields than the header: pairing them by
            # position would put values under the wrong headers, so the row is shown as it is, flagged.
            rendered_any = True
            yield f"Row {position} has {fields} fields, the header {len(header)}: " + " | ".join(cells[:fields])
            continue
        pairs = [f"{_header_name(header, i)}: {value}" for i, value in enumerate(cells) if value]
        rendered_any = True
        yield ROW_SEPARATOR.join(pairs)
    if header is not None and not rendered_any:
        # A one-row sheet (a title, a note) has no values to pair: keep its text rather than lose it.
        yield ROW_SEPARATOR.join(cell for cell in header if cell)


def _width(cells: list[str]) -> int:
    """Position of the last non-empty cell + 1 (trailing empty cells are padding, not fields)."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index]:
            return index + 1
    return 0


def _header_name(header: list[str], index: int) -> str:
    name = header[index] if index < len(header) else ""
    return name or column_name(index)


def column_name(index: int) -> str:
    """0 -> 'Column A', 27 -> 'Column AB': the name Excel shows for an unnamed column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"Column {letters}"


def format_cell(value: object) -> str:
    """A cell value as a person would read it in Excel: 2019 not 2019.0, dates without midnight."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return normalize_inline(str(value))


class RowBudget:
    """Counts rows per sheet and cells per file while they stream past, failing at the limits.

    Rows are counted by position (an empty row still costs a step to skip), cells by row width, so the
    work done is bounded even for a sheet of a million empty rows or one enormous row.
    """

    def __init__(self, limits: Limits, *, noun: str):
        self.limits = limits
        self.noun = noun
        self.cells = 0

    def rows(self, rows: Iterable[Sequence[object]], *, where: str) -> Iterator[Sequence[object]]:
        for position, row in enumerate(rows, 1):
            if position > self.limits.max_sheet_rows:
                raise SpreadsheetTooLargeError(
                    f"{where} has more than {self.limits.max_sheet_rows:,} rows, the limit; "
                    "split it or export the relevant part"
                )
            self.cells += len(row)
            if self.cells > self.limits.max_cells:
                raise SpreadsheetTooLargeError(
                    f"the {self.noun} has more than {self.limits.max_cells:,} cells, the limit"
                )
            yield row
