"""Grounding: a fact stands only if its evidence quote is found in the source text.

A quote is looked up as an exact (whitespace-, case-, ligature- and quote-normalised) substring of a
page first, then, failing that, by the fuzzy word aligner in `dealiq.alignment` (thresholds stated
there); a fuzzy match stores the page's own wording as the evidence. The page a fact cites is taken
from where the quote was found, never from what the engine said. This is the defence against
hallucinated facts and against instructions hidden in documents (a quote that is not in the text cannot
be stored).
"""
from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, replace

from .alignment import DEFAULT_THRESHOLDS, FuzzyThresholds, SourceText, Token, align, tokenize
from .schemas import DiscoveryResult, FactItem, ItemReport, SourcePage

# The ItemReport reason of a fact whose evidence quote is in none of the pages.
UNGROUNDED = "evidence not found in the document"

_WS = re.compile(r"\s+")
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise_text(text: str) -> str:
    """Case-, whitespace-, ligature- and quote-insensitive form used for matching."""
    text = unicodedata.normalize("NFKC", text or "").translate(_LIGATURES).translate(_QUOTES)
    return _WS.sub(" ", text).strip().casefold()


def normalise_with_offsets(text: str) -> tuple[str, list[tuple[int, int]]]:
    """normalise_text(text), and for each of its characters the span of `text` it came from — so a match
    found in the normalised form (the way grounding finds quotes) can be marked in the original.

    Normalised one base character (with its combining marks) at a time; for page text this is the same
    string as normalise_text (tests/dealiq/test_grounding_spans.py holds them together)."""
    text = text or ""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j]).translate(_LIGATURES).translate(_QUOTES).casefold()
        for ch in piece:
            if ch.isspace():  # what _WS (\s) matches: a run becomes one space, none at the ends
                if out and out[-1] == " ":
                    spans[-1] = (spans[-1][0], j)
                elif out:
                    out.append(" ")
                    spans.append((i, j))
            else:
                out.append(ch)
                spans.append((i, j))
        i = j
    if out and out[-1] == " ":
        out.pop()
        spans.pop()
    return "".join(out), spans


def quote_spans(text: str, quote: str, fuzzy: FuzzyThresholds | None = DEFAULT_THRESHOLDS) -> list[tuple[int, int]]:
    """Where `quote` is in `text` as grounding finds it: every normalised exact match, else the best fuzzy
    match (one span, the aligner's thresholds), else none. Spans are (start, end) offsets into `text`."""
    needle = normalise_text(quote)
    if len(needle) < 3:  # as PageIndex.find_exact
        return []
    norm, origin = normalise_with_offsets(text)
    found, at = [], norm.find(needle)
    while at != -1:
        found.append((origin[at][0], origin[at + len(needle) - 1][1]))
        at = norm.find(needle, at + len(needle))
    if found or fuzzy is None:
        return found
    page_tokens = tokenize(text)
    match = align([t.norm for t in tokenize(quote)], [t.norm for t in page_tokens], fuzzy)
    if match is None:
        return []
    return [(page_tokens[match.start].start, page_tokens[match.end - 1].end)]


@dataclass(frozen=True)
class GroundedQuote:
    document_id: int
    pages: list[int]
    score: float  # 1.0 exact; below 1.0 a fuzzy match (see dealiq.alignment for the thresholds)
    text: str = ""  # fuzzy matches only: the page's own wording of the quote, verbatim


class PageIndex:
    """Normalised text of an entity's pages, searchable by quote."""

    def __init__(self, pages: list[SourcePage], fuzzy: FuzzyThresholds | None = DEFAULT_THRESHOLDS):
        self._pages = [(p, normalise_text(p.text)) for p in pages]
        self._by_document: dict[int, list[tuple[SourcePage, str]]] = {}
        for entry in self._pages:
            self._by_document.setdefault(entry[0].document_id, []).append(entry)
        self._fuzzy = fuzzy  # None: exact matching only
        self._tokens: dict[int, tuple[list[Token], SourceText]] = {}  # page position -> tokens (lazy)

    @property
    def pages(self) -> list[SourcePage]:
        return [p for p, _ in self._pages]

    def find_exact(self, quote: str, prefer_document: int | None = None) -> GroundedQuote | None:
        needle = normalise_text(quote)
        if len(needle) < 3:
            return None
        # The cited document's pages first, then every page in order (no sort per quote: a room with
        # thousands of inventory rows grounds thousands of quotes).
        preferred = self._by_document.get(prefer_document, ())
        for page, norm in itertools.chain(preferred, self._pages):
            if needle in norm:
                return GroundedQuote(page.document_id, [page.page_number], 1.0)
        return self._find_across_page_break(needle, prefer_document)

    def _find_across_page_break(self, needle: str, prefer_document: int | None) -> GroundedQuote | None:
        by_doc: dict[int, list[tuple[SourcePage, str]]] = {}
        for page, norm in self._pages:
            by_doc.setdefault(page.document_id, []).append((page, norm))
        order = sorted(by_doc, key=lambda d: d != prefer_document)
        for doc_id in order:
            doc_pages = sorted(by_doc[doc_id], key=lambda pn: pn[0].page_number)
            for (p1, n1), (p2, n2) in zip(doc_pages, doc_pages[1:]):
                if needle in f"{n1} {n2}":
                    return GroundedQuote(doc_id, [p1.page_number, p2.page_number], 1.0)
        return None

    def find_fuzzy(self, quote: str, prefer_document: int | None = None) -> GroundedQuote | None:
        """Best near-verbatim match of the quote on a single page (see dealiq.alignment)."""
        if self._fuzzy is None:
            return None
        needle = [t.norm for t in tokenize(quote)]
        if len(needle) < self._fuzzy.min_quote_tokens:
            return None
        best: tuple[float, int, int, int] | None = None  # score, position, start, end
        order = sorted(range(len(self._pages)), key=lambda i: self._pages[i][0].document_id != prefer_document)
        # Necessary condition, checked on the normalised text before paying for tokenising a page:
        # enough of the quote's words occur in it at all (a stemmed word is a substring of its plural).
        needed = math.ceil(len(needle) * self._fuzzy.min_token_ratio)
        for position in order:
            if sum(1 for word in needle if word in self._pages[position][1]) < needed:
                continue
            found = align(needle, self._page_tokens(position)[1], self._fuzzy)
            if found and (best is None or found.score > best[0]):
                best = (found.score, position, found.start, found.end)
                if found.score * len(needle) >= len(needle) - 1:
                    break  # one word off at most: a better page is not worth the search
        if best is None:
            return None
        score, position, start, end = best
        page = self._pages[position][0]
        tokens = self._page_tokens(position)[0]
        span = page.text[tokens[start].start : tokens[end - 1].end]
        return GroundedQuote(page.document_id, [page.page_number], score, span)

    def _page_tokens(self, position: int) -> tuple[list[Token], SourceText]:
        if position not in self._tokens:
            tokens = tokenize(self._pages[position][0].text)
            self._tokens[position] = (tokens, SourceText.of([t.norm for t in tokens]))
        return self._tokens[position]

    def find(self, quote: str, prefer_document: int | None = None) -> GroundedQuote | None:
        """Exact normalised match first (also across a page break), then the fuzzy fallback."""
        return self.find_exact(quote, prefer_document) or self.find_fuzzy(quote, prefer_document)


def ground_facts(result: DiscoveryResult, index: PageIndex) -> DiscoveryResult:
    """Keep the facts whose evidence is in the pages (with pages set from the match); count the rest."""
    kept: list[FactItem] = []
    dropped = 0
    for fact in result.facts:
        match = index.find(fact.evidence, prefer_document=fact.document_id)
        if match is None:
            dropped += 1
            continue
        details = dict(fact.details)
        evidence = fact.evidence
        if match.score < 1.0:
            # Store the page's own words so the evidence stays verbatim; keep the model's version too.
            details["grounding_score"] = round(match.score, 3)
            details["quoted_as"] = fact.evidence
            evidence = match.text or fact.evidence
        kept.append(
            replace(fact, document_id=match.document_id, pages=match.pages, details=details, evidence=evidence)
        )
    items = ItemReport.from_dict(result.items.to_dict())
    items.kept = max(0, items.kept - dropped)
    items.drop(UNGROUNDED, dropped)
    return DiscoveryResult(
        facts=kept,
        gaps=list(result.gaps),
        usage=result.usage,
        dropped_ungrounded=result.dropped_ungrounded + dropped,
        items=items,
    )
