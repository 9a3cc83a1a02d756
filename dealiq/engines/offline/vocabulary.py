"""Which domain a line belongs to, from the words it uses (dealiq/rules/domain_terms.yaml).

Used where no fact rule decides the domain: a table row no rule recognised, a sentence stating a gap.
The line's own words count fully, its context (the heading above it, its table's column headers, the
sheet and file name) half, so "FW-HQ-01 | FortiGate 100F" is network wherever it stands and a bare
"HQ-01 | 10.2.0.0/16 | Aarhus" row takes the domain of the "Network" sheet it is in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import NamedTuple

from ...domains import DOMAIN_KEYS
from ...rules import RuleError, load
from ...rules.units import TextUnit

CONTEXT_WEIGHT = 0.5
# A row leans to the domain its table's words lead in, less than one word of its own: a bare row takes the
# table's domain, a row that names another domain's thing ("Contact centre: Genesys" in a mostly
# infrastructure list of standards) goes there.
TABLE_PRIOR = 0.75
HEADER_WEIGHT = 1.5
# Headers that agree on a domain (Name / Role / FTE) decide it for every row: a person's row mentioning
# SAP and interfaces is still about a person.
HEADER_PRIOR = 3.0
DOMINANCE = 1.5  # a table leans to a domain only when it scores this much above the next one


class TableLean(NamedTuple):
    """The domain a table's rows lean to, and how strongly."""

    domain: str
    strength: float


@dataclass(frozen=True, eq=False)  # identity hash: a cache key looked up for every unit and domain
class DomainVocabulary:
    # per domain: one regex whose alternatives are the domain's words, each in its own group
    patterns: tuple[tuple[str, re.Pattern], ...]
    # per domain: column headers that say a table lists that domain's things
    headers: tuple[tuple[str, re.Pattern], ...] = ()
    register: re.Pattern | None = None  # headers of a cross-domain register (contracts, suppliers)

    def is_register(self, labels: tuple[str, ...]) -> bool:
        return self.register is not None and sum(1 for l in labels if self.register.match(l.strip())) >= 2

    @classmethod
    @lru_cache(maxsize=8)
    def load(cls, rules_dir: str | None = None) -> "DomainVocabulary":
        data = load("domain_terms.yaml", rules_dir)
        patterns = []
        headers = []
        for domain, words in (data.get("table_headers") or {}).items():
            if domain not in DOMAIN_KEYS:
                raise RuleError(f"domain_terms.yaml table_headers: unknown domain {domain!r}")
            try:
                headers.append((domain, re.compile("|".join(f"(?:{w})" for w in words).join(("^(?:", r")$")), re.IGNORECASE)))
            except re.error as exc:
                raise RuleError(f"domain_terms.yaml table_headers {domain}: bad pattern: {exc}") from None
        register = data.get("register_headers") or []
        try:
            register_pattern = re.compile("|".join(f"(?:{w})" for w in register).join(("^(?:", r")$")), re.I) if register else None
        except re.error as exc:
            raise RuleError(f"domain_terms.yaml register_headers: bad pattern: {exc}") from None
        for domain, words in (data or {}).items():
            if domain in ("table_headers", "register_headers"):
                continue
            if domain not in DOMAIN_KEYS:
                raise RuleError(f"domain_terms.yaml: unknown domain {domain!r}")
            alternatives = "|".join(f"({w})" for w in words)
            try:
                patterns.append((domain, re.compile(rf"(?<![\w-])(?:{alternatives})(?:e?s)?(?![\w])", re.IGNORECASE)))
            except re.error as exc:
                raise RuleError(f"domain_terms.yaml {domain}: bad pattern: {exc}") from None
        return cls(tuple(patterns), tuple(headers), register_pattern)

    # One vocabulary per process (loaded once), so the cache holding `self` alive leaks nothing.
    @lru_cache(maxsize=65536)  # noqa: B019
    def scores(self, text: str) -> dict[str, int]:
        """Distinct words of each domain found in `text`."""
        found: dict[str, int] = {}
        for domain, pattern in self.patterns:
            words = {match.lastindex for match in pattern.finditer(text)}
            if words:
                found[domain] = len(words)
        return found

    def header_scores(self, labels: tuple[str, ...]) -> dict[str, float]:
        found: dict[str, float] = {}
        for domain, pattern in self.headers:
            hits = sum(1 for label in labels if pattern.match(label.strip()))
            if hits:
                found[domain] = HEADER_WEIGHT * hits
        return found

    def classify_table(self, rows_text: str, context: str, labels: tuple[str, ...]) -> "TableLean | None":
        """The domain a table's rows lean to: what its column headers say when two or more of them agree
        (Name / Role / FTE), else its rows' words when one domain clearly leads; None for a register of
        contracts or a table of mixed things (a "capability / standard" list), whose rows stand alone."""
        if self.is_register(labels):
            return None
        headers = self.header_scores(labels)
        if headers and max(headers.values()) >= 2 * HEADER_WEIGHT:
            return TableLean(self._best(headers), HEADER_PRIOR)
        totals: dict[str, float] = dict(self.scores(rows_text))
        for domain, score in self.scores(context).items():
            totals[domain] = totals.get(domain, 0) + CONTEXT_WEIGHT * score
        for domain, score in headers.items():
            totals[domain] = totals.get(domain, 0) + score
        ranked = sorted(totals.values(), reverse=True)
        if not ranked or (len(ranked) > 1 and ranked[0] < DOMINANCE * ranked[1]):
            return None
        return TableLean(self._best(totals), TABLE_PRIOR)

    def _best(self, totals: dict[str, float]) -> str | None:
        if not totals:
            return None
        order = [d for d, _ in self.patterns]
        return max(totals, key=lambda d: (totals[d], -order.index(d)))

    def classify(self, text: str, context: str = "", prior: "TableLean | None" = None) -> str | None:
        """The best domain for `text` read in `context` (and, for a table row, its table's domain `prior`),
        or None when nothing names any domain word."""
        totals: dict[str, float] = dict(self.scores(text))
        if context:
            for domain, score in self.scores(context).items():
                totals[domain] = totals.get(domain, 0) + CONTEXT_WEIGHT * score
        if prior:
            totals[prior.domain] = totals.get(prior.domain, 0) + prior.strength
        return self._best(totals)


def file_words(filename: str) -> str:
    """"03-network_overview.xlsx" → "network overview", "05-iso27001-audit.pdf" → "iso27001 audit"."""
    stem = PurePosixPath(filename or "").stem
    return re.sub(r"^[\d\s_.-]+|[_.-]+", " ", stem).strip()


def sheet_names(units: list[TextUnit]) -> dict[tuple[int, int], str]:
    """(document, page) → the spreadsheet sheet that page is (XLSX pages start "Sheet: <name>")."""
    return {
        (u.document_id, u.page_number): u.text[7:]
        for u in units
        if u.index == 0 and u.text.startswith("Sheet: ") and u.filename.lower().endswith(".xlsx")
    }


def unit_contexts(units: list[TextUnit]) -> list[str]:
    """For each unit: the words around it that say what it is about (heading above it in the same
    document, sheet name, column headers of its table, file name)."""
    contexts: list[str] = []
    heading: dict[int, str] = {}
    sheet: dict[tuple[int, int], str] = {}
    for unit in units:
        if unit.text.startswith("Sheet: ") and unit.index == 0:
            sheet[(unit.document_id, unit.page_number)] = unit.text[7:]
        # (a table row's column labels are not its context: they speak for the table, see classify_table)
        parts = [file_words(unit.filename), sheet.get((unit.document_id, unit.page_number), ""),
                 heading.get(unit.document_id, "")]
        contexts.append(" ; ".join(p for p in parts if p))
        if unit.is_heading and " | " not in unit.text:  # a table's header row is no section heading
            heading[unit.document_id] = unit.text
    return contexts


def row_text(unit: TextUnit) -> str:
    """What a table row says, without its column labels (those are its context)."""
    return " ; ".join(value for _, value in unit.columns if value) if unit.columns else unit.text
