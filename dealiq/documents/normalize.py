"""Text normalisation that keeps text quotable.

The page text we return is what facts quote verbatim and what grounding searches, so normalisation
only removes what a reader cannot see or would type differently: NUL and other control characters,
soft hyphens, zero-width and bidi-control characters, typographic ligatures ("ﬁ" -> "fi"), odd spaces
and line endings, runs of blanks. Words, punctuation, quotes and case are left exactly as written.
"""
from __future__ import annotations

import re
import unicodedata

# Presentation-form ligatures PDFs are full of; a quote typed by a person (or a model) uses the letters.
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}

# Invisible characters: soft hyphen, zero-width space, word joiner, BOM, and the bidi embeddings,
# overrides and isolates (they reorder what is displayed, so a quote containing them can mislead).
_INVISIBLE = "\u00ad\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# Exotic spaces become a plain space; vertical tab, form feed, NEL and Unicode separators a newline.
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_NEWLINES = "\x0b\x0c\x85\u2028\u2029"


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # C0/C1 control characters (NUL included) carry no text; \n is kept, \r is handled before.
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        table[code] = None
    table.update({ord(c): " " for c in _SPACES})
    table.update({ord(c): "\n" for c in _NEWLINES})
    table.update({ord(c): None for c in _INVISIBLE})
    table.update({ord(k): v for k, v in _LIGATURES.items()})
    table[ord("\n")] = "\n"
    return table


_TABLE = _build_table()
_BLANKS = re.compile(r" {2,}")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Clean `text` for storage and quoting; paragraph breaks (blank lines) survive, runs of them do not."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_TABLE)
    text = _BLANKS.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def normalize_inline(text: str) -> str:
    """Clean `text` and fold it onto one line (a spreadsheet cell, a table cell, a file name part)."""
    return " ".join(normalize_text(text).split())
