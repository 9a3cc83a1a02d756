"""Fuzzy alignment of an evidence quote to a page, for quotes that are *almost* verbatim.

A model copying a sentence sometimes fixes a hyphenation break, drops a bullet, turns "servers" into
"server" or re-flows a table row. The exact (normalised) match in `dealiq.grounding` rejects those, so
this module is its fallback. The approach follows LangExtract's word aligner (written here, not
imported): compare word tokens, not characters; slide a window of about the quote's length over the
page; score a window by how many of the quote's tokens it contains *in order* (difflib matching
blocks); keep the best window if it clears the thresholds below. Windows are only scored where they
start on one of the quote's words and hold enough of them (a multiset count kept while sliding).

Thresholds (FuzzyThresholds) and why:
- min_token_ratio 0.80: at least 80 % of the quote's tokens, in order, must be in the window.
  LangExtract uses 0.75; evidence is audit material here, so a little stricter.
- min_quote_tokens 5: shorter quotes ("SAP ECC 6.0") must match exactly; with four words or fewer a
  single changed word is a different statement.
- max_window_slack 0.25 (+2 tokens): the window may be at most a quarter longer than the quote, so a
  quote cannot be "found" by collecting its words from across a long paragraph.
- max_candidates 500: at most that many windows are scored per page (highly repetitive pages would
  otherwise make the search quadratic); the best one found so far stands.
- numbers_must_match: every run of digits in the quote (versions, counts, dates, amounts) must be in
  the window: "Windows Server 2008" must never ground on a page that says "Windows Server 2019" (while
  "2012R2" may still ground on "2012 R2").
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# Soft hyphens sit inside words ("inter\u00adnational"): keep them in the token, then drop them.
_WORD = re.compile(r"[\w\u00ad]+", re.UNICODE)


@dataclass(frozen=True)
class FuzzyThresholds:
    min_token_ratio: float = 0.80
    min_quote_tokens: int = 5
    max_window_slack: float = 0.25
    numbers_must_match: bool = True
    max_candidates: int = 500  # windows scored per page at most: bounds the cost on repetitive text


DEFAULT_THRESHOLDS = FuzzyThresholds()


@dataclass(frozen=True)
class Token:
    norm: str
    start: int  # character offsets in the original text, so the matched span can be quoted verbatim
    end: int


@dataclass(frozen=True)
class Alignment:
    start: int  # index of the first and one past the last token of the window
    end: int
    score: float  # share of the quote's tokens found in order in the window (0..1)


def normalise_token(word: str) -> str:
    """Case-, width- and ligature-folded word with light plural stemming ("servers" ~ "server")."""
    if word.isascii():
        word = word.lower()  # the common case, and NFKC/casefold cannot change ASCII letters
    else:
        word = unicodedata.normalize("NFKC", word.replace("\u00ad", "")).casefold()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word[-2].isdigit():
        word = word[:-1]
    return word


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _WORD.finditer(text or ""):
        norm = normalise_token(match.group())
        if norm:
            tokens.append(Token(norm, match.start(), match.end()))
    return tokens


_DIGITS = re.compile(r"\d+")


def _digit_runs(tokens: list[str]) -> set[str]:
    return {run for token in tokens for run in _DIGITS.findall(token)}


@dataclass(frozen=True)
class SourceText:
    """A page's normalised tokens with the summaries `align` checks first (build once per page)."""

    tokens: list[str]
    counts: Counter
    digit_runs: set[str]

    @classmethod
    def of(cls, tokens: list[str]) -> "SourceText":
        return cls(tokens, Counter(tokens), _digit_runs(tokens))


def align(
    quote: list[str], source: list[str] | SourceText, thresholds: FuzzyThresholds = DEFAULT_THRESHOLDS
) -> Alignment | None:
    """Best window of `source` (normalised tokens) for `quote`, or None if no window clears the thresholds."""
    page = source if isinstance(source, SourceText) else SourceText.of(source)
    source = page.tokens
    n = len(quote)
    if n < thresholds.min_quote_tokens or not source:
        return None
    quote_counts = Counter(quote)
    min_overlap = math.ceil(n * thresholds.min_token_ratio)
    # Cheap page-level rejection: the page as a whole must hold enough of the quote's words.
    if sum((quote_counts & page.counts).values()) < min_overlap:
        return None
    numbers = _digit_runs(quote) if thresholds.numbers_must_match else set()
    if numbers - page.digit_runs:
        return None

    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)  # SequenceMatcher caches details about seq2: keep the quote there
    size = min(len(source), int(n * (1 + thresholds.max_window_slack)) + 2)
    best: Alignment | None = None
    evaluated = 0
    for start, overlap in enumerate(_window_overlaps(source, quote_counts, size)):
        # A best window can always start on a token of the quote (leading strangers add nothing), and
        # its quote-sized neighbourhood must hold enough of the quote's words.
        if overlap < min_overlap or source[start] not in quote_counts:
            continue
        matcher.set_seq1(source[start : start + size])
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        matched = sum(b.size for b in blocks)
        if matched < n * thresholds.min_token_ratio:
            continue
        # Span: from the first to the last matched token, widened by the quote's unmatched words at
        # either end (a last word spelled differently still belongs to the quoted span).
        lead, trail = blocks[0].b, n - (blocks[-1].b + blocks[-1].size)
        first = max(0, start + blocks[0].a - lead)
        end = min(len(source), start + blocks[-1].a + blocks[-1].size + trail)
        if numbers and not numbers <= _digit_runs(source[first:end]):
            continue
        score = matched / n
        if best is None or score > best.score:
            best = Alignment(first, end, score)
            if n - matched <= 1:
                return best  # at most one word differs: nothing left worth searching for
        evaluated += 1
        if evaluated >= thresholds.max_candidates:
            break
    return best


def _window_overlaps(source: list[str], quote_counts: Counter, size: int) -> list[int]:
    """For each start, how many of the quote's tokens (as a multiset) the window source[start:start+size] holds."""
    counts: Counter[str] = Counter()
    overlap = 0

    def add(token: str) -> None:
        nonlocal overlap
        if counts[token] < quote_counts.get(token, 0):
            overlap += 1
        counts[token] += 1

    def remove(token: str) -> None:
        nonlocal overlap
        counts[token] -= 1
        if counts[token] < quote_counts.get(token, 0):
            overlap -= 1

    for token in source[:size]:
        add(token)
    overlaps = []
    for start in range(len(source)):
        overlaps.append(overlap)
        remove(source[start])
        if start + size < len(source):
            add(source[start + size])
    return overlaps
