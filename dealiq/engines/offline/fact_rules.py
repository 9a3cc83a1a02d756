"""Fact rules from YAML (dealiq/rules/facts/*.yaml) and how one rule reads one text unit.

A rule recognises something in a unit (a regex in `match`, or a table of canonical `terms`), reads
extra values from the same unit (`extract`), optionally judges a control's status from the words
around the mention (`status: control`), and phrases the fact from a template. The fact's evidence is
always the unit's verbatim text, so grounding finds it. See docs/engine.md for the format.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ...domains import DOMAIN_KEYS, ENTITIES
from ...rules import RuleError, fact_rule_files, load
from ...rules.lexicon import Lexicon, get_lexicon
from ...rules.units import TextUnit, answer_span
from .dates import parse_date

# Capture groups with these names are read as numbers / dates whatever the rule says.
_WORD = re.compile(r"[^\W\d_]{2,}")
NUMBER_FIELDS = frozenset({"n", "count", "value", "number"})
DATE_FIELDS = frozenset({"end", "date", "start", "last"})
# Counts written as words ({NUMWORD} in lexicon.yaml): "nine permanent staff" is 9 like "9 permanent staff".
NUMBER_WORDS = {
    word: n for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50}
LINE_CHARS = 90
# Status words count only this close to the mention (a "no" three clauses away is about something else).
STATUS_BEFORE, STATUS_AFTER = 60, 90
# A term rule reads its extra values this close to the term: in "IT Manager, Sofie Lund, ... the Group
# CIO" the name belongs to the IT Manager, not to the CIO at the other end of the sentence.
TERM_EXTRACT_WINDOW = 50
_LEADING_LABEL = re.compile(r"^[^:;]{2,40}:\s+(?=\S)")

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class FactDraft:
    """A fact before it becomes a FactItem: the engine adds entity, key and grounding."""

    rule_id: str
    domain: str
    category: str
    item: str
    details: dict[str, Any]
    unit: TextUnit
    confidence: float


@dataclass(frozen=True)
class FactRule:
    id: str
    source: str
    domains: tuple[str, ...]
    category: str
    patterns: tuple[re.Pattern, ...] = ()
    terms: tuple[tuple[str, re.Pattern], ...] = ()
    requires: tuple[re.Pattern, ...] = ()
    unless: tuple[re.Pattern, ...] = ()
    templates: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    # name → [(canonical value or None for the captured text, pattern)]
    extract: tuple[tuple[str, tuple[tuple[str | None, re.Pattern], ...]], ...] = ()
    domain_by: tuple[tuple[re.Pattern, str], ...] = ()
    entities: tuple[str, ...] = ENTITIES
    status: bool = False
    every_match: bool = False
    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    confidence: float = 0.85
    # All of the rule's patterns and terms in one regex: most lines fail it in a single search, so the
    # rule's individual patterns, `unless` and `requires` only run on the few lines that can match.
    screen: re.Pattern | None = None

    def may_yield(self, domain: str, entity: str) -> bool:
        if entity not in self.entities:
            return False
        return domain in self.domains or any(d == domain for _, d in self.domain_by)

    # -- reading one unit ---------------------------------------------------------------------------

    def apply(self, unit: TextUnit, lexicon: Lexicon) -> list[FactDraft]:
        text = unit.text
        if unit.is_heading:
            return []  # "4.6 Access reviews" or a table's header row names a topic; it states nothing
        # `requires` first: it is usually one plain word, far cheaper than the rule's own patterns.
        if not all(p.search(text) for p in self.requires):
            return []
        if self.screen is not None and not self.screen.search(text):
            return []
        if any(p.search(text) for p in self.unless):
            return []
        drafts = []
        for term, match in self._matches(text):
            if self.status and not _WORD.search(text[:match.start()] + text[match.end():]):
                continue  # a bare title ("Second-factor authentication") names a topic; it claims no status
            draft = self._draft(unit, term, match, lexicon)
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _matches(self, text: str) -> list[tuple[str | None, re.Match]]:
        if self.terms:
            found: dict[str, re.Match] = {}
            for canonical, pattern in self.terms:
                match = pattern.search(text)
                if match and canonical not in found:
                    found[canonical] = match
            return sorted(found.items(), key=lambda kv: kv[1].start())
        for pattern in self.patterns:
            if self.every_match:
                hits = list(pattern.finditer(text))
                if hits:
                    return [(None, m) for m in hits]
            else:
                match = pattern.search(text)
                if match:
                    return [(None, match)]
        return []

    def _draft(self, unit: TextUnit, term: str | None, match: re.Match, lexicon: Lexicon) -> FactDraft | None:
        text = unit.text
        span_start, span_end = answer_span(text, match.start(), match.end())
        # A placeholder answers what comes before it: one earlier in a run-on unit (a PDF schedule whose
        # lines became one sentence, "… 12 months TBC TSA-08 …") belongs to another item.
        answer = text[match.start():span_end]
        if lexicon.is_placeholder(answer):
            return None  # "SOC 2 report: TBD" is a gap (checklist), not a fact
        values: dict[str, Any] = {k: _clean_value(v) for k, v in match.groupdict().items() if v}
        if not self._typed(values):
            return None  # the rule's own number or date is unreadable: no fact rather than a wrong one
        if term:
            values["term"] = term
        scope = text
        if term:
            scope = text[max(0, match.start() - TERM_EXTRACT_WINDOW): match.end() + TERM_EXTRACT_WINDOW]
        for name, patterns in self.extract:
            if name not in values:
                extracted = _extract(name, patterns, scope)
                if extracted is not None and self._typed(extracted):  # unreadable optional values are left out
                    values.update(extracted)
        if self.status:
            local = text[max(span_start, match.start() - STATUS_BEFORE): min(span_end, match.end() + STATUS_AFTER)]
            status, coverage = lexicon.status_of(local)
            values["status"] = status
            values["status_label"] = lexicon.status_labels[status]
            if coverage is not None:
                values["pct"] = int(coverage) if coverage == int(coverage) else coverage
        values["line"] = _short(unit.text)
        item = _render_first(self.templates, values)
        if not item:
            return None
        details = {"rule": self.id}
        details.update(_render_details(self.details, values))
        return FactDraft(self.id, self._domain_for(text), self.category, item, details, unit, self.confidence)

    def _typed(self, values: dict[str, Any]) -> bool:
        """Numbers become ints (formatted "1,450" in text), dates become ISO; an unreadable date drops the fact."""
        for name in list(values):
            if name in NUMBER_FIELDS or name in self.numbers:
                digits = str(values[name]).replace(",", "")
                digits = str(NUMBER_WORDS.get(digits.lower(), digits))
                if not digits.isdigit():
                    return False
                values[name] = int(digits)
            elif name in DATE_FIELDS or name in self.dates:
                parsed = parse_date(str(values[name]))
                if parsed is None:
                    return False
                values[name] = parsed.isoformat()
        return True

    def _domain_for(self, text: str) -> str:
        for pattern, domain in self.domain_by:
            if pattern.search(text):
                return domain
        return self.domains[0]


def _extract(name: str, patterns, text: str) -> dict[str, Any] | None:
    for canonical, pattern in patterns:
        hit = pattern.search(text)
        if hit is None:
            continue
        if canonical is not None:
            return {name: canonical}
        if hit.groupdict().get(name):
            return {name: _clean_value(hit.group(name))}
    return None


def _clean_value(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip(" .,;:-–—\t")


def _short(text: str) -> str:
    """A line as a fact's item shows it: without its leading label ("Incidents: In August…") and cut short."""
    text = re.sub(r"\s+", " ", text.replace("**", "")).strip()
    text = _LEADING_LABEL.sub("", text, count=1)
    if len(text) <= LINE_CHARS:
        return text.rstrip(".")
    cut = text[:LINE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def _display(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in _FORMATTER.parse(template) if name]


def _render_first(templates: tuple[str, ...], values: dict[str, Any]) -> str:
    for template in templates:
        names = _fields(template)
        if all(values.get(n) not in (None, "") for n in names):
            return template.format(**{n: _display(values[n]) for n in names}).strip()
    return ""


def _render_details(details: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if not isinstance(value, str):
            out[key] = value
            continue
        names = _fields(value)
        if not names:
            out[key] = value
        elif value == "{" + names[0] + "}" and len(names) == 1:
            if values.get(names[0]) not in (None, ""):
                out[key] = values[names[0]]  # keep the type: ints stay ints
        elif all(values.get(n) not in (None, "") for n in names):
            out[key] = value.format(**{n: _display(values[n]) for n in names})
    return out


# -- loading -------------------------------------------------------------------------------------------

_RULE_KEYS = {
    "id", "domain", "domains", "category", "match", "terms", "requires", "unless", "fact", "details",
    "extract", "domain_by", "entities", "status", "every_match", "numbers", "dates", "confidence", "note",
}


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_rule(raw: dict, source: str, default_domain: str | None, lexicon: Lexicon) -> FactRule:
    rule_id = raw.get("id")
    where = f"{source} rule {rule_id!r}"
    if not rule_id:
        raise RuleError(f"{source}: a rule has no id")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
    domains = tuple(_as_list(raw.get("domains") or raw.get("domain") or default_domain))
    for domain in domains:
        if domain not in DOMAIN_KEYS:
            raise RuleError(f"{where}: unknown domain {domain!r}")
    if not domains:
        raise RuleError(f"{where}: no domain")
    if not raw.get("category"):
        raise RuleError(f"{where}: no category")
    templates = tuple(_as_list(raw.get("fact")))
    if not templates:
        raise RuleError(f"{where}: no fact template")
    patterns = tuple(lexicon.compile(p, where) for p in _as_list(raw.get("match")))
    terms = tuple(
        (canonical, lexicon.compile("|".join(f"(?:{s})" for s in _as_list(spellings)), where))
        for canonical, spellings in (raw.get("terms") or {}).items()
    )
    if not patterns and not terms:
        raise RuleError(f"{where}: needs `match` or `terms`")
    domain_by = []
    for entry in _as_list(raw.get("domain_by")):
        if entry.get("domain") not in DOMAIN_KEYS:
            raise RuleError(f"{where}: domain_by names unknown domain {entry.get('domain')!r}")
        domain_by.append((lexicon.compile(entry["match"], where), entry["domain"]))
    extract = []
    for name, spec in (raw.get("extract") or {}).items():
        if isinstance(spec, dict):  # canonical value → spellings, like `terms`
            pairs = tuple((str(canonical), lexicon.compile("|".join(f"(?:{s})" for s in _as_list(spellings)), where))
                          for canonical, spellings in spec.items())
        else:  # patterns with a group named like the field
            pairs = tuple((None, lexicon.compile(p, where)) for p in _as_list(spec))
        extract.append((name, pairs))
    extract = tuple(extract)
    screen = _screen([p.pattern for p in patterns] + [p.pattern for _, p in terms], where)
    entities = tuple(_as_list(raw.get("entities"))) or ENTITIES
    if set(entities) - set(ENTITIES):
        raise RuleError(f"{where}: entities must be among {ENTITIES}")
    return FactRule(
        id=rule_id,
        source=source,
        domains=domains,
        category=raw["category"],
        patterns=patterns,
        terms=terms,
        requires=tuple(lexicon.compile(p, where) for p in _as_list(raw.get("requires"))),
        unless=tuple(lexicon.compile(p, where) for p in _as_list(raw.get("unless"))),
        templates=templates,
        details=dict(raw.get("details") or {}),
        extract=extract,
        domain_by=tuple(domain_by),
        entities=entities,
        status=raw.get("status") == "control",
        every_match=bool(raw.get("every_match")),
        numbers=frozenset(_as_list(raw.get("numbers"))),
        dates=frozenset(_as_list(raw.get("dates"))),
        confidence=float(raw.get("confidence", 0.85)),
        screen=screen,
    )


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _screen(sources: list[str], where: str) -> re.Pattern | None:
    """The union of a rule's patterns, with named groups made anonymous (names may repeat across them)."""
    try:
        return re.compile("|".join(f"(?:{_NAMED_GROUP.sub('(?:', s)})" for s in sources), re.IGNORECASE)
    except re.error:  # a pattern relying on its group names (back-references): no screen, no harm
        return None


@lru_cache(maxsize=8)
def load_fact_rules(rules_dir: str | None = None) -> tuple[FactRule, ...]:
    lexicon = get_lexicon(rules_dir)
    rules: list[FactRule] = []
    seen: set[str] = set()
    for name in fact_rule_files(rules_dir):
        data = load(name, rules_dir)
        for raw in data.get("rules") or []:
            rule = parse_rule(raw, name, data.get("domain"), lexicon)
            if rule.id in seen:
                raise RuleError(f"{name}: rule id {rule.id!r} is used twice")
            seen.add(rule.id)
            rules.append(rule)
    return tuple(rules)
