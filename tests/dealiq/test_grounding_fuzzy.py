"""Grounding: exact normalised match first, then the fuzzy word aligner with its stated thresholds."""
from __future__ import annotations

import time

from dealiq.alignment import FuzzyThresholds, align, tokenize
from dealiq.grounding import PageIndex, ground_facts
from dealiq.schemas import DiscoveryResult, FactItem, SourcePage

PAGE_TEXT = (
    "Infrastructure summary.\n"
    "The company runs 312 Windows servers, of which 40 run Windows Server 2012 R2 in the Leeds data centre.\n"
    "Backups are taken nightly with Veeam to a NAS in the same building."
)
PAGES = [
    SourcePage(document_id=7, page_number=1, text="Cover page of the infrastructure pack."),
    SourcePage(document_id=7, page_number=2, text=PAGE_TEXT),
    SourcePage(document_id=9, page_number=1, text="Payroll is run by ADP for all 800 employees."),
]


def _norms(text: str) -> list[str]:
    return [t.norm for t in tokenize(text)]


def test_exact_normalised_match_wins_and_page_comes_from_the_text():
    found = PageIndex(PAGES).find("backups are taken   NIGHTLY with Veeam", prefer_document=9)
    assert found is not None
    assert (found.document_id, found.pages, found.score) == (7, [2], 1.0)


def test_near_verbatim_quote_grounds_fuzzily_with_the_pages_own_words():
    quote = "runs 312 Windows server of which 40 run Windows Server 2012R2 in the Leeds data center"
    found = PageIndex(PAGES).find(quote)
    assert found is not None
    assert found.document_id == 7 and found.pages == [2]
    assert 0.8 <= found.score < 1.0
    assert found.text.startswith("runs 312 Windows servers, of which 40")
    assert found.text in PAGE_TEXT  # verbatim span of the page


def test_a_different_number_never_grounds_fuzzily():
    quote = "The company runs 312 Windows servers, of which 40 run Windows Server 2016 R2 in the Leeds data centre"
    assert PageIndex(PAGES).find(quote) is None


def test_short_quotes_must_match_exactly():
    assert PageIndex(PAGES).find("Windows Server 2012 R3") is None  # 4 tokens: below min_quote_tokens


def test_words_scattered_over_a_long_text_do_not_ground():
    source = _norms(
        "The company has a plan. Many servers exist somewhere. Windows is used in places. "
        "Leeds is a city. The data centre is big and Veeam is a product we like."
    )
    quote = _norms("The company servers Windows Leeds data centre Veeam")
    assert align(quote, source) is None  # the words are there, but not inside one quote-sized window


def test_thresholds_are_parameters():
    quote = _norms("alpha beta gamma delta epsilon zeta")
    source = _norms("alpha beta gamma delta XXXX YYYY")
    assert align(quote, source) is None  # 4/6 < 0.8
    loose = FuzzyThresholds(min_token_ratio=0.6)
    assert align(quote, source, loose) is not None


def test_ground_facts_drops_and_counts_ungrounded_and_replaces_fuzzy_evidence():
    facts = [
        FactItem("target", "infrastructure", "servers", "Windows estate", evidence="Backups are taken nightly with Veeam",
                 document_id=9, pages=[5]),
        FactItem("target", "infrastructure", "servers", "Server OS",
                 evidence="runs 312 Windows server of which 40 run Windows Server 2012R2 in the Leeds data center",
                 document_id=7, pages=[1]),
        FactItem("target", "infrastructure", "dr", "Mainframe", evidence="A quantum mainframe runs in Atlantis since 2031.",
                 document_id=7, pages=[2]),
    ]
    grounded = ground_facts(DiscoveryResult(facts=facts, dropped_ungrounded=1), PageIndex(PAGES))
    assert grounded.dropped_ungrounded == 2  # the one counted before plus the fabricated quote
    exact, fuzzy = grounded.facts
    assert (exact.document_id, exact.pages) == (7, [2])  # not the document/page the engine claimed
    assert "grounding_score" not in exact.details
    assert fuzzy.pages == [2] and fuzzy.evidence in PAGE_TEXT
    assert fuzzy.details["quoted_as"].endswith("data center")
    assert 0.8 <= fuzzy.details["grounding_score"] < 1.0


def test_fuzzy_search_over_a_data_room_stays_fast():
    # 60 pages of ~3,000 characters (the extractor's page size), sharing most words with the quotes.
    sentence = "The server estate in the data centre runs Windows and Linux with nightly backups. "
    pages = [SourcePage(n // 10, n, sentence * 36 + f"Page {n} ends here.") for n in range(60)]
    index = PageIndex(pages)
    started = time.monotonic()
    for _ in range(5):
        assert index.find("this fabricated sentence about a quantum mainframe is nowhere") is None
        assert index.find("The server estate in the data centre runs Windows and Linux with weekly backups") is not None
    assert time.monotonic() - started < 1.5
