"""quote_spans: a quote is marked on a page exactly where grounding finds it (one normalisation, one
aligner), so a quote that grounded highlights on the document page and the page-text view alike."""
from __future__ import annotations

import pytest

from dealiq.grounding import PageIndex, normalise_text, normalise_with_offsets, quote_spans
from dealiq.schemas import SourcePage

PAGES = [
    "  The  ERP is SAP ECC 6.0\n\nrunning on-premise.  ",
    "Firewalls: FortiGate running FortiOS 6.0 at all 12 sites.",
    "The ﬁrewall’s “core” rules — reviewed\u00a0yearly.",
    "Caf\u0065\u0301 systems: Straße 5, ÉTAGE 2",
    "",
    "\t\n ",
]


@pytest.mark.parametrize("text", PAGES)
def test_offsets_give_the_same_normal_form_as_grounding(text):
    norm, spans = normalise_with_offsets(text)
    assert norm == normalise_text(text)
    assert len(spans) == len(norm)
    assert all(0 <= start < end <= len(text) for start, end in spans)


def test_exact_matches_map_back_to_the_page_wording():
    text = PAGES[2]
    [(start, end)] = quote_spans(text, "the firewall's \"CORE\" rules - reviewed yearly")
    assert text[start:end] == "The ﬁrewall’s “core” rules — reviewed\u00a0yearly"
    text = PAGES[0]
    [(start, end)] = quote_spans(text, "erp is sap   ecc 6.0 running")
    assert text[start:end] == "ERP is SAP ECC 6.0\n\nrunning"


def test_every_occurrence_is_marked_and_short_quotes_none():
    text = "SAP here, sap there, Sap everywhere"
    assert [text[s:e] for s, e in quote_spans(text, "sap")] == ["SAP", "sap", "Sap"]
    assert quote_spans(text, "sa") == []


def test_fuzzy_fallback_marks_the_best_window_like_grounding():
    text = "Backups: nightly snapshots of all production databases are replicated to the second site."
    quote = "nightly snapshot of all production database is replicated to the second site"
    [(start, end)] = quote_spans(text, quote)
    assert text[start:end].startswith("nightly") and text[start:end].endswith("site")
    assert quote_spans(text, quote, fuzzy=None) == []


@pytest.mark.parametrize("quote", [
    "SAP ECC 6.0 running on-premise", "FortiOS 6.0 at all 12 sites", "firewall's \"core\" rules",
    "straße 5, étage 2", "nothing like this is on any page",
])
def test_a_quote_grounding_finds_is_a_quote_the_highlighter_marks(quote):
    pages = [SourcePage(document_id=1, page_number=n, text=t) for n, t in enumerate(PAGES, start=1)]
    grounded = PageIndex(pages).find(quote)
    marked = [n for n, t in enumerate(PAGES, start=1) if quote_spans(t, quote)]
    assert (grounded is not None) == bool(marked)
    if grounded is not None:
        assert grounded.pages[0] in marked
