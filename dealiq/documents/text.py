"""Plain text, Markdown and CSV: decoded (see encoding.py), normalised and cut into ~3,000-char pages.

CSV rows are rendered like spreadsheet rows (`header: value; header: value`, see tables.py), one row
per paragraph, so a page never splits a row. The delimiter is the one the header line uses most among
`,` `;` tab `|`: European exports often use `;`.
"""
from __future__ import annotations

import csv
import io

from .encoding import decode_text
from .errors import CorruptFileError, NoTextError
from .limits import Limits
from .normalize import normalize_text
from .pages import PARAGRAPH_BREAK, PageCollector
from .tables import RowBudget, render_rows

_DELIMITERS = (",", ";", "\t", "|")


def read_text(data: bytes, limits: Limits, *, noun: str = "text file") -> tuple[list[str], list[str]]:
    text, encoding = decode_text(data, what=f"a {noun}")
    collector = PageCollector(limits, noun=noun)
    collector.add_blocks(normalize_text(text).split(PARAGRAPH_BREAK))
    if not collector.pages:
        raise NoTextError(f"the {noun} contains no text")
    return collector.pages, _encoding_note(encoding)


def read_markdown(data: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    return read_text(data, limits, noun="Markdown file")


def read_csv(data: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    noun = "CSV file"
    text, encoding = decode_text(data, what=f"a {noun}")
    text = text.replace("\x00", "")
    collector = PageCollector(limits, noun=noun)
    budget = RowBudget(limits, noun=noun)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        collector.add_blocks(render_rows(budget.rows(reader, where=f"the {noun}"), delimited=True))
    except csv.Error as exc:
        raise CorruptFileError(f"the CSV file cannot be parsed at line {reader.line_num}: {exc}") from None
    if not collector.pages:
        raise NoTextError("the CSV file contains no values")
    return collector.pages, _encoding_note(encoding)


def _delimiter(text: str) -> str:
    header = next((line for line in text[:65536].splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier (comma first)
    return best if counts[best] else ","


def _encoding_note(encoding: str) -> list[str]:
    if encoding.replace("_", "-").lower() in ("utf-8", "ascii"):
        return []
    return [f"decoded as {encoding} (not UTF-8)"]
