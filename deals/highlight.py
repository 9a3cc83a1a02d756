"""Marking a quote in page text with <mark>, where grounding would find it (dealiq.grounding.quote_spans:
the same normalisation — whitespace, case, ligatures, typographic quotes and dashes — then the same fuzzy
aligner). The deal's document page and the analysis page-text view both use this one, so a quote that
grounded highlights on both."""
from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dealiq.grounding import quote_spans


def highlight(text: str, quote: str, *, first_id: str = "") -> tuple[SafeString, int]:
    """`text` HTML-escaped with every match of `quote` wrapped in <mark> (the first one with id=`first_id`
    when given, for a #fragment link); returns (html, number of matches)."""
    spans = quote_spans(text, quote) if quote else []
    out, last = [], 0
    for index, (start, end) in enumerate(spans):
        attrs = f' id="{escape(first_id)}"' if first_id and index == 0 else ""
        out.append(escape(text[last:start]))
        out.append(f"<mark{attrs}>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out)), len(spans)  # every piece is escaped above
