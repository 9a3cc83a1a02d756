"""Marking a quote in page text with <mark>, the way grounding matched it: whitespace and case ignored."""
from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_EQUIVALENT = {  # typographic and plain forms a quote and a page may differ in
    "'": "['‘’]", "‘": "['‘’]", "’": "['‘’]",
    '"': '["“”]', "“": '["“”]', "”": '["“”]',
    "-": "[-–—]", "–": "[-–—]", "—": "[-–—]",
}
MIN_QUOTE_CHARS = 3


def quote_pattern(quote: str) -> re.Pattern | None:
    words = (quote or "").split()
    if len("".join(words)) < MIN_QUOTE_CHARS:
        return None
    parts = ["".join(_EQUIVALENT.get(ch, re.escape(ch)) for ch in word) for word in words]
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern | None) -> tuple[SafeString, int]:
    """`text` HTML-escaped with every match of `pattern` wrapped in <mark>; returns (html, matches)."""
    if pattern is None:
        return escape(text), 0
    out, last, count = [], 0, 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last, count = match.end(), count + 1
    out.append(escape(text[last:]))
    return mark_safe("".join(out)), count
