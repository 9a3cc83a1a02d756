"""Pages: how text becomes numbered, citable units, and the limits on how many there may be.

Formats without real pages (DOCX, TXT/MD, CSV) are cut into blocks of about PAGE_CHARS characters,
breaking only between paragraphs, so a quote rarely straddles two pages and a page number still
points near the text. A paragraph longer than a block is cut at a line break, else a sentence end,
else a space.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .errors import TooManyPagesError, TooMuchTextError
from .limits import Limits

PAGE_CHARS = 3000
PARAGRAPH_BREAK = "\n\n"


def iter_blocks(paragraphs: Iterable[str], page_chars: int = PAGE_CHARS) -> Iterator[str]:
    """Group paragraphs into blocks of at most about `page_chars` characters, in order."""
    current: list[str] = []
    size = 0
    for paragraph in paragraphs:
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for piece in _cut_long(paragraph, page_chars):
            if current and size + len(PARAGRAPH_BREAK) + len(piece) > page_chars:
                yield PARAGRAPH_BREAK.join(current)
                current, size = [], 0
            size += len(piece) + (len(PARAGRAPH_BREAK) if current else 0)
            current.append(piece)
    if current:
        yield PARAGRAPH_BREAK.join(current)


def split_blocks(text: str, page_chars: int = PAGE_CHARS) -> list[str]:
    """Blocks of `text`, whose paragraphs are separated by blank lines."""
    return list(iter_blocks(text.replace("\r\n", "\n").split(PARAGRAPH_BREAK), page_chars))


_SENTENCE_END = re.compile(r"[.!?;:]\s")


def _cut_long(paragraph: str, limit: int) -> Iterator[str]:
    while len(paragraph) > limit:
        window = paragraph[:limit]
        floor = limit // 2  # never cut so early that blocks become tiny
        cut = window.rfind("\n", floor)
        if cut < 0:
            ends = [m.end() for m in _SENTENCE_END.finditer(window, floor)]
            cut = ends[-1] if ends else window.rfind(" ", floor)
        if cut <= 0:
            cut = limit  # one enormous word: cut it
        yield paragraph[:cut].rstrip()
        paragraph = paragraph[cut:].lstrip()
    if paragraph:
        yield paragraph


class PageCollector:
    """Accumulates page texts while enforcing Limits.max_pages and Limits.max_chars."""

    def __init__(self, limits: Limits, *, noun: str, unit: str = "pages"):
        self.limits = limits
        self.noun = noun  # "PDF", "Word document": names the file in messages
        self.unit = unit  # what a page is called in messages ("pages", "sheets")
        self.pages: list[str] = []
        self.chars = 0

    def check_page_count(self, count: int) -> None:
        """Fail early when the page count is known up front (PDF pages, XLSX sheets)."""
        if count > self.limits.max_pages:
            raise TooManyPagesError(
                f"the {self.noun} has {count:,} {self.unit}, over the limit of {self.limits.max_pages:,}"
            )

    def check_room(self, pending_chars: int) -> None:
        """Fail as soon as text still being assembled would break the character limit."""
        if self.chars + pending_chars > self.limits.max_chars:
            raise TooMuchTextError(
                f"the {self.noun} holds more than {self.limits.max_chars:,} characters of text, the limit"
            )

    def add(self, text: str) -> None:
        if len(self.pages) >= self.limits.max_pages:
            raise TooManyPagesError(
                f"the {self.noun} has more than {self.limits.max_pages:,} {self.unit}, the limit"
            )
        self.check_room(len(text))
        self.chars += len(text)
        self.pages.append(text)

    def add_blocks(self, paragraphs: Iterable[str]) -> None:
        for block in iter_blocks(paragraphs):
            self.add(block)
