"""Gaps the documents state themselves (dealiq/rules/statements.yaml).

"DR test results: to be confirmed", "Network diagrams are available on request", "OT is out of scope",
"Policy last reviewed March 2019", a TBD in an inventory cell: each is a gap, quoted verbatim with the
document and page it stands on. The domain is read from the line (dealiq/rules/domain_terms.yaml), then
from its heading, table and file; the category is the checklist topic the line names, else the kind of
statement. Only ever pattern matching: a statement is data, never an instruction.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ...rules import RuleError, load
from ...rules.lexicon import get_lexicon
from ...rules.units import TextUnit
from .dates import parse_date

DEFAULT_MAX_AGE_MONTHS = 24
_LEADING_LABEL = re.compile(r"^([^:;|]{2,60}):\s")
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[A-Z]\.)\s+")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")


@dataclass(frozen=True)
class StatementKind:
    name: str
    label: str
    importance: str
    patterns: tuple[re.Pattern, ...]
    max_age_months: int | None = None  # set for the "stale" kind: patterns capture a `date`


@dataclass(frozen=True)
class Statement:
    kind: StatementKind
    start: int  # where in the unit's text the statement was read
    end: int
    stated_date: str = ""


@dataclass(frozen=True, eq=False)  # identity hash: a cache key looked up for every unit and domain
class StatementRules:
    kinds: tuple[StatementKind, ...]
    screen: re.Pattern | None = None  # every pattern in one: most lines fail it in a single search

    @classmethod
    @lru_cache(maxsize=8)
    def load(cls, rules_dir: str | None = None) -> "StatementRules":
        data = load("statements.yaml", rules_dir)
        lexicon = get_lexicon(rules_dir)
        kinds = []
        for name, raw in (data.get("kinds") or {}).items():
            where = f"statements.yaml {name}"
            if not raw.get("patterns"):
                raise RuleError(f"{where}: no patterns")
            kinds.append(
                StatementKind(
                    name=name,
                    label=raw.get("label", name.replace("_", " ")),
                    importance=raw.get("importance", "important"),
                    patterns=tuple(lexicon.compile(p, where) for p in raw["patterns"]),
                    max_age_months=int(raw.get("max_age_months", DEFAULT_MAX_AGE_MONTHS)) if name == "stale" else None,
                )
            )
        sources = [re.sub(r"\(\?P<\w+>", "(?:", p.pattern) for kind in kinds for p in kind.patterns]
        return cls(tuple(kinds), re.compile("|".join(f"(?:{s})" for s in sources), re.IGNORECASE) if sources else None)

    def find(self, text: str, reference_date: dt.date) -> Statement | None:
        """The first statement of a gap in `text` (kinds in file order), or None."""
        return _find(self, text, reference_date)


    def stale_date(self, text: str, reference_date: dt.date) -> str:
        """The date of a "last updated" kind of statement older than its kind allows, else ""."""
        for kind in self.kinds:
            if kind.max_age_months is None:
                continue
            for pattern in kind.patterns:
                for match in pattern.finditer(text):
                    stated = _stated_date(match.groupdict().get("date") or "")
                    if stated and _months_between(stated, reference_date) > kind.max_age_months:
                        return stated.isoformat()
        return ""


@lru_cache(maxsize=65536)
def _find(rules: StatementRules, text: str, reference_date: dt.date) -> Statement | None:
    if rules.screen is not None and not rules.screen.search(text):
        return None
    for kind in rules.kinds:
        for pattern in kind.patterns:
            for match in pattern.finditer(text):
                if kind.max_age_months is None:
                    return Statement(kind, match.start(), match.end())
                stated = _stated_date(match.groupdict().get("date") or "")
                if stated and _months_between(stated, reference_date) > kind.max_age_months:
                    return Statement(kind, match.start(), match.end(), stated.isoformat())
    return None


def _stated_date(text: str) -> dt.date | None:
    text = text.strip()
    if _YEAR.match(text):
        return dt.date(int(text), 12, 31)  # a bare year: its last day, the most favourable reading
    return parse_date(text)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def statement_subject(unit: TextUnit, statement: Statement, heading: str) -> str:
    """What the statement is about: the table cell's row and column, the line's label, or its heading."""
    if unit.columns:
        row_name = next((value for _, value in unit.columns if value), "")
        for label, value in unit.columns:
            if value and statement.start < len(unit.text) and _cell_holds(unit.text, statement, value):
                return f"{row_name} – {label}" if row_name and row_name != value else label
        return row_name or "Table row"
    labelled = _LEADING_LABEL.match(unit.text)
    if labelled and labelled.end() <= statement.start + 1:
        return labelled.group(1).strip(" -*•")
    if heading and len(heading) <= 80 and " | " not in heading:
        return _NUMBERING.sub("", heading).strip(" #:*")
    return ""


def _cell_holds(text: str, statement: Statement, value: str) -> bool:
    position = text.find(value)
    return position != -1 and position <= statement.start < position + len(value)
