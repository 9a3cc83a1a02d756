"""DOCX text via python-docx: body paragraphs and tables in document order.

A DOCX has no fixed pages (they depend on the printer and fonts), so pages here are blocks of about
PAGE_CHARS characters cut between paragraphs (see pages.py). A table row is one paragraph, its cells
joined by " | " exactly as they read across (an empty cell stays empty): no header is inferred here, because many DOCX tables are
key/value lists and pairing them with the first row would put words in the document's mouth.
Content controls (w:sdt) are read; headers, footers, footnotes, comments and text boxes are not.
"""
from __future__ import annotations

import io
from collections.abc import Iterator

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from .errors import CorruptFileError, ExtractionError, NoTextError
from .limits import Limits
from .normalize import normalize_inline, normalize_text
from .pages import PageCollector

NOUN = "Word document"
CELL_SEPARATOR = " | "
_MAX_TABLE_NESTING = 5  # tables inside table cells; deeper levels are read as plain cell text

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")


def read_docx(data: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx/lxml raise KeyError, XMLSyntaxError, ValueError...
        raise CorruptFileError("the Word document is damaged and cannot be read", detail=repr(exc)) from None
    collector = PageCollector(limits, noun=NOUN)
    try:
        collector.add_blocks(_body_paragraphs(document))
    except ExtractionError:
        raise
    except Exception as exc:
        raise CorruptFileError("the Word document is damaged and cannot be read", detail=repr(exc)) from None
    if not collector.pages:
        raise NoTextError("the Word document contains no text")
    return collector.pages, []


def _body_paragraphs(document) -> Iterator[str]:
    yield from _walk(document.element.body, document._body)


def _walk(container, parent, depth: int = 0) -> Iterator[str]:
    """Paragraph texts and table rows of `container`'s children, descending into content controls."""
    for child in container.iterchildren():
        if child.tag == _P:
            yield normalize_text(Paragraph(child, parent).text)
        elif child.tag == _TBL:
            yield from _table_rows(Table(child, parent), depth)
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _walk(content, parent, depth)


def _table_rows(table: Table, depth: int) -> Iterator[str]:
    for row in table.rows:
        cells = []
        seen = set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; read it once.
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            cells.append(_cell_text(cell, depth))
        if any(cells):  # empty cells stay, so a blank cell never shifts the next value under its header
            yield CELL_SEPARATOR.join(cells).strip()


def _cell_text(cell, depth: int) -> str:
    if depth >= _MAX_TABLE_NESTING:
        return normalize_inline(cell.text)
    parts = (normalize_inline(text) for text in _walk(cell._tc, cell, depth + 1))
    return " ".join(p for p in parts if p)
