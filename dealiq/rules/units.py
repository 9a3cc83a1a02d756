"""Text units: the lines and sentences rules are matched against.

Every unit keeps `evidence`, a verbatim substring of its page (so grounding always finds it), and
`text`, what rules read: the same words with markdown emphasis removed and, for a markdown table row,
the cells labelled with their column headers ("Operating system: Windows Server 2012 R2; Servers: 40")
the way CSV rows are already rendered by the extractor. A rule therefore sees a CSV row and a
markdown table row alike, and still quotes the line exactly as the document has it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ..schemas import SourcePage

_LEADING_MARKERS = re.compile(r"^(?:#{1,6}\s+|[-*+\u2022]\s+|\d{1,2}[.)]\s+|>\s*)+")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPHASIS = re.compile(r"\*\*|__|`")
# A sentence ends at . ! ? followed by a capital, except after common abbreviations ("e.g. Windows").
_SENTENCE_BREAK = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bincl\.)(?<!\bapprox\.)(?<!\bNo\.)(?<=[A-Za-z0-9)\]%][.!?])\s+(?=[A-Z\"'(])"
)
# Headings in plain text: "4.3 Privileged accounts", "IDENTITY AND ACCESS".
_NUMBERED_HEADING = re.compile(r"^\d+(?:\.\d+)*\.?\s+[A-Z][^.:;!?]{0,60}$")
_RECORD_FIELD = re.compile(r"(?:^|;\s*)[^;:]{1,60}:\s*\S")
_CLAUSE_BREAK = re.compile(r"\s*[;|]\s*")
# What the extractor writes for a spreadsheet / CSV row whose field count differs from the header's
# (dealiq.documents.tables.render_rows): "Row 7 has 6 fields, the header 5: a | b | c | d | e | f".
MISMATCHED_ROW = re.compile(r"^Row (?P<row>\d+) has (?P<fields>\d+) fields?, the header (?P<header>\d+): ")
_RECORD_LABEL = re.compile(r"^([^;:]{1,60}):\s?(.*)$", re.S)
_TABULAR_FILES = (".csv", ".xlsx")
# "BSP-01 Critical …", "NC-3: 37 leaver accounts …", "IR-10 Shared accounts …" (not "G0" or "4.3").
_REGISTER_ITEM = re.compile(r"^(?P<id>(?:[A-Z]{2,6}-?\d{1,4}|[A-Z]-\d{1,4})[a-z]?)(?:[:.)]\s*|\s+)(?=\S)")
MAX_REGISTER_LINES = 4  # an item's own line and the wrapped lines that follow it
# A Word table's first row is its header when every cell reads like a column name; a two-column table
# only when both cells are such words ("Field | Value"), since most are key / value lists.
_HEADER_CELL = re.compile(r"^(?:#|No\.?|[A-Za-z][\w /&()#%.,'-]{0,45})$")
_HEADER_WORDS = re.compile(
    r"^(?:#|no\.?|id|item|name|field|attribute|topic|area|question|answer|response|value|details?|description|"
    r"status|comments?|notes?|remarks?|owner|system|application|service|vendor|supplier|provider|version|count|"
    r"quantity|type|category|control|evidence|date|site|location|role|title|team|person|contact|document|"
    r"requirement|requested item|request|asset|device|platform|tool|product|domain|priority|criticality)$",
    re.I,
)

MAX_UNIT_CHARS = 600


@dataclass(frozen=True, eq=False)  # identity hash: a cache key looked up for every unit and domain
class TextUnit:
    document_id: int
    page_number: int
    filename: str
    index: int  # position within the page, for a stable order
    evidence: str  # verbatim substring of the page text
    text: str  # what rules match against
    is_heading: bool = False
    # A table row (CSV/XLSX row, markdown or Word table row under a header): its cells by column header,
    # blanks included where the format keeps them, and which table it belongs to.
    columns: tuple[tuple[str, str], ...] = ()
    table_id: str = ""
    # A row whose field count differs from its header's: (fields in the row, fields in the header).
    # Its cells are left unlabelled rather than paired with the wrong headers.
    field_mismatch: tuple[int, int] | None = None
    # An item of a numbered register in running text ("BSP-04 High SMBv1 enabled on …", "IR-03 No routed
    # interconnect …"): its identifier; the item's wrapped lines are one unit.
    register_id: str = ""

    @property
    def is_table_row(self) -> bool:
        return bool(self.table_id) and not self.is_heading

    @property
    def location(self) -> str:
        return f"{self.filename or f'document {self.document_id}'} p.{self.page_number}"


def is_record(text: str) -> bool:
    """A "key: value; key: value" line (a CSV row or a labelled table row): never split into sentences."""
    return len(_RECORD_FIELD.findall(text)) >= 2


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _EMPHASIS.sub("", text)).strip()


@lru_cache(maxsize=4096)  # about one large data room; bounded for long-lived workers
def split_page(page: SourcePage) -> tuple[TextUnit, ...]:
    """A page's units (cached: the same page is read by every domain's discovery; units are immutable)."""
    return tuple(_split_page(page))


def _split_page(page: SourcePage) -> list[TextUnit]:
    units: list[TextUnit] = []
    lines = page.text.splitlines()
    header: list[str] | None = None
    tables = 0
    table_id = ""
    tabular = page.filename.lower().endswith(_TABULAR_FILES)
    word_rows = _word_table_rows(lines) if not tabular else {}
    register = _register_items(lines) if not tabular else {}
    skip_until = -1

    def add(evidence: str, text: str, heading: bool = False, **row) -> None:
        evidence = evidence.strip()
        if len(evidence) >= 3:
            units.append(TextUnit(page.document_id, page.page_number, page.filename, len(units), evidence, text, heading, **row))

    for number, raw in enumerate(lines):
        line = raw.strip()
        if number <= skip_until or not line or _TABLE_SEPARATOR.match(line):
            continue
        if number in register:
            item_id, last = register[number]
            evidence = "\n".join(l.strip() for l in lines[number:last + 1])
            add(evidence, _clean(evidence.replace("\n", " ")), table_id=f"{page.document_id}:{page.page_number}:register",
                register_id=item_id)
            skip_until = last
            continue
        if line.startswith("|"):
            cells = _table_cells(line)
            next_line = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if _TABLE_SEPARATOR.match(next_line):
                header = [_clean(c) for c in cells]
                tables += 1
                table_id = f"{page.document_id}:{page.page_number}:{tables}"
                add(line, _clean(" | ".join(cells)), heading=True)
                continue
            _add_row(add, line, [_clean(c) for c in cells], header, table_id)
            continue
        header = None
        if number in word_rows:
            row_header, row_table = word_rows[number]
            if row_header is None:  # the header row itself
                add(line, _clean(line), heading=True)
            else:
                _add_row(add, line, [_clean(c) for c in line.split("|")], row_header, f"{page.document_id}:{page.page_number}:w{row_table}")
            continue
        if tabular and not raw.startswith("Sheet: "):
            mismatch = MISMATCHED_ROW.match(line)
            if mismatch:
                cells = [_clean(c) for c in line[mismatch.end():].split(" | ")]
                add(line, "; ".join(c for c in cells if c), table_id=_sheet_table(page),
                    field_mismatch=(int(mismatch["fields"]), int(mismatch["header"])))
                continue
            if is_record(line) and len(line) <= MAX_UNIT_CHARS:
                add(line, _clean(line), columns=parse_record(line), table_id=_sheet_table(page))
                continue
        if not tabular:
            last = _continuation_end(lines, number, register, word_rows)
            if last > number:  # a hard-wrapped paragraph (PDF, wrapped text): one text, cut into sentences
                skip_until = last
                line = "\n".join(l.strip() for l in lines[number:last + 1])
                for sentence in _sentences(_LEADING_MARKERS.sub("", line)):
                    add(sentence, _clean(sentence.replace("\n", " ")))
                continue
        evidence = _LEADING_MARKERS.sub("", line)
        heading = (
            raw.lstrip().startswith("#")
            or (evidence.endswith(":") and len(evidence) <= 80)
            or (line.startswith("**") and line.endswith("**"))
            or bool(_NUMBERED_HEADING.match(line))
            or (line.isupper() and len(line.split()) >= 2 and len(line) <= 80)  # not "TBD"
        )
        for sentence in _sentences(evidence):
            add(sentence, _clean(sentence), heading)
    return units


_LIST_START = re.compile(r"^(?:[-*+\u2022]\s|\d{1,2}[.)]\s|#|\|)")
MAX_WRAPPED_LINES = 6


def _continuation_end(lines: list[str], number: int, register: dict, word_rows: dict) -> int:
    """The last line of the paragraph that starts at `number`: lines that continue it are indented, start
    in lower case, or follow a long line that stopped mid-sentence (the way PDFs and mail wrap text)."""
    first = lines[number].strip()
    if first.startswith(("#", "|")) or first.endswith(":") or _NUMBERED_HEADING.match(first) or (first.startswith("**") and first.endswith("**")):
        return number
    last = number
    for following in range(number + 1, min(number + MAX_WRAPPED_LINES, len(lines))):
        raw = lines[following]
        text = raw.strip()
        if (not text or following in register or following in word_rows or _LIST_START.match(text)
                or _NUMBERED_HEADING.match(text) or _TABLE_SEPARATOR.match(text)):
            break
        previous = lines[last].strip()
        wrapped = (
            raw[:1].isspace()
            or text[:1].islower()
            or (len(previous) >= 60 and not previous.endswith((".", "!", "?", ":", ";")))
        )
        if not wrapped:
            break
        last = following
    return last


def _sheet_table(page: SourcePage) -> str:
    """A CSV file is one table over all its pages; an XLSX sheet (one page) is one table."""
    if page.filename.lower().endswith(".csv"):
        return f"{page.document_id}:csv"
    return f"{page.document_id}:{page.page_number}:sheet"


def _add_row(add, line: str, cells: list[str], header: list[str] | None, table_id: str) -> None:
    if header and len(header) == len(cells):
        labelled = "; ".join(f"{h}: {c}" for h, c in zip(header, cells) if c and h)
        columns = tuple((h, c) for h, c in zip(header, cells) if h)
        add(line, labelled or _clean(line), columns=columns, table_id=table_id)
    elif header:
        add(line, "; ".join(c for c in cells if c), table_id=table_id, field_mismatch=(len(cells), len(header)))
    else:
        add(line, "; ".join(c for c in cells if c))


def _register_items(lines: list[str]) -> dict[int, tuple[str, int]]:
    """Items of a numbered register on a page: first line → (identifier, last line of the item). A page
    needs two items whose identifiers share a prefix ("BSP-01", "BSP-02") before any line counts."""
    starts = {}
    for number, raw in enumerate(lines):
        match = _REGISTER_ITEM.match(raw.strip())
        if match:
            starts[number] = match.group("id")
    prefixes = [re.match(r"[A-Z]+", item_id).group(0) for item_id in starts.values()]
    items = {}
    for number, item_id in starts.items():
        if prefixes.count(re.match(r"[A-Z]+", item_id).group(0)) < 2:
            continue
        last = number
        for following in range(number + 1, min(number + MAX_REGISTER_LINES, len(lines))):
            text = lines[following].strip()
            if not text or following in starts or text.startswith(("#", "|")) or _NUMBERED_HEADING.match(text):
                break
            last = following
        items[number] = (item_id, last)
    return items


def _word_table_rows(lines: list[str]) -> dict[int, tuple[list[str] | None, int]]:
    """Rows of Word tables (cells joined by " | ", one paragraph per row) whose first row is a header:
    line number → (the header, or None for the header row itself; the table's number on the page)."""
    rows: dict[int, tuple[list[str] | None, int]] = {}
    run: list[int] = []
    tables = 0

    def close() -> None:
        nonlocal tables
        if len(run) >= 2:
            first = [c.strip() for c in lines[run[0]].split("|")]
            if _is_header(first):
                tables += 1
                rows[run[0]] = (None, tables)
                for n in run[1:]:
                    rows[n] = ([_clean(c) for c in first], tables)
        run.clear()

    for number, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if " | " in line and not line.startswith("|"):
            run.append(number)
        else:
            close()
    close()
    return rows


def _is_header(cells: list[str]) -> bool:
    if len(cells) < 2 or not all(cells) or not all(_HEADER_CELL.match(c) for c in cells):
        return False
    if len(cells) == 2:
        return all(_HEADER_WORDS.match(c.strip()) for c in cells)
    return len({c.casefold() for c in cells}) == len(cells)


def parse_record(line: str) -> tuple[tuple[str, str], ...]:
    """"Hostname: srv-01; OS: Windows; Notes: a; b" → (("Hostname", "srv-01"), ("OS", "Windows"), ("Notes", "a; b"))."""
    columns: list[list[str]] = []
    for piece in line.split("; "):
        labelled = _RECORD_LABEL.match(piece)
        if labelled and (not columns or len(labelled.group(1)) <= 60):
            columns.append([_clean(labelled.group(1)), _clean(labelled.group(2))])
        elif columns:
            columns[-1][1] = f"{columns[-1][1]}; {_clean(piece)}"
    return tuple((label, value) for label, value in columns)


def _sentences(line: str) -> Iterable[str]:
    if is_record(line):
        return _chunks(line, "; ")
    parts = [p for p in _SENTENCE_BREAK.split(line) if p.strip()]
    out: list[str] = []
    for part in parts:
        out.extend(_chunks(part, ", "))
    return out


def _chunks(text: str, separator: str) -> list[str]:
    """Very long lines are cut at a separator so a quote stays readable (each chunk is still verbatim)."""
    if len(text) <= MAX_UNIT_CHARS:
        return [text]
    chunks, current = [], ""
    for piece in text.split(separator):
        candidate = f"{current}{separator}{piece}" if current else piece
        if current and len(candidate) > MAX_UNIT_CHARS:
            chunks.append(current)
            current = piece
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def split_pages(pages: Iterable[SourcePage]) -> list[TextUnit]:
    """All units of the pages in document, page and line order (the order every rule result follows)."""
    ordered = sorted(pages, key=lambda p: (p.document_id, p.page_number))
    return [unit for page in ordered for unit in split_page(page)]


def answer_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Where, in a unit, the answer to whatever was matched at text[start:end] sits.

    Records and lists hold several answers on one line ("Backups: nightly; DR test: TBD"), so a
    placeholder or a negation only counts in the clause that holds the match: that clause if the match
    is its label and a value follows ("DR test: TBD"), else the clause plus the next one ("Control: DR
    test; Status: TBD" or a headerless table row "DR test | TBD").
    """
    bounds = [0]
    for sep in _CLAUSE_BREAK.finditer(text):
        bounds.extend([sep.start(), sep.end()])
    bounds.append(len(text))
    clauses = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]
    for index, (c_start, c_end) in enumerate(clauses):
        if c_start <= start < max(c_end, c_start + 1):
            clause = text[c_start:c_end]
            colon = clause.find(":")
            if colon != -1 and start - c_start < colon and clause[colon + 1:].strip():
                return c_start, c_end
            if index + 1 < len(clauses):
                return c_start, clauses[index + 1][1]
            return c_start, c_end
    return 0, len(text)


def answer_window(text: str, start: int, end: int) -> str:
    span_start, span_end = answer_span(text, start, end)
    return text[span_start:span_end]
