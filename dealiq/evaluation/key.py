"""An evaluation room's answer key (samples/eval-rooms/KEY-FORMAT.md), read and checked.

Every problem in a key is reported at once, each naming the entry and the field
(`facts[3] (F004): domain must be one of …, not 'apps'`), so a key author fixes the file in one pass.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domains import DOMAIN_KEYS, ENTITIES
from ..schemas import FINDING_TYPES, IMPORTANCES, PHASES, SEVERITIES

MAX_LISTED_PROBLEMS = 25


class AnswerKeyError(ValueError):
    """The answer key cannot be used: missing, not JSON, or entries that break the format."""

    def __init__(self, origin: str, problems: list[str]):
        self.origin = origin
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"{origin}: {problems[0]}")
            return
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"{origin}: {len(problems)} problems in the answer key"] + [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class KeyFact:
    id: str
    entity: str
    domain: str
    item: str
    source: str | None
    match_any: tuple[str, ...]


@dataclass(frozen=True)
class KeyGap:
    id: str
    entity: str
    domain: str
    importance: str
    description: str
    source: str | None
    match_any: tuple[str, ...]


@dataclass(frozen=True)
class KeyFinding:
    id: str
    domain: str
    finding_type: str
    severity: str
    phase: str
    title: str
    match_any: tuple[str, ...]
    rests_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeySide:
    source: str | None
    says: str
    match_any: tuple[str, ...]

    @property
    def entity(self) -> str | None:
        """`target/…` or `buyer/…`: the entity whose document holds this side."""
        head = (self.source or "").replace("\\", "/").split("/", 1)[0].lower()
        return head if head in ENTITIES else None


@dataclass(frozen=True)
class KeyContradiction:
    id: str
    domain: str
    subject: str
    side_a: KeySide
    side_b: KeySide


@dataclass(frozen=True)
class KeyInjection:
    source: str | None
    text: str
    canary_terms: tuple[str, ...]


@dataclass(frozen=True)
class AnswerKey:
    room: str
    facts: tuple[KeyFact, ...]
    gaps: tuple[KeyGap, ...]
    findings: tuple[KeyFinding, ...]
    contradictions: tuple[KeyContradiction, ...] = ()
    injection: KeyInjection | None = None


def load_key(path: str | Path) -> AnswerKey:
    """Read and check an answer-key.json; AnswerKeyError says what is wrong and where."""
    path = Path(path)
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswerKeyError(origin, ["file not found"]) from None
    except IsADirectoryError:
        raise AnswerKeyError(origin, ["is a folder, not an answer-key.json file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswerKeyError(origin, [f"cannot be read: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerKeyError(origin, [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    return parse_key(data, origin=origin)


def parse_key(data: Any, *, origin: str = "answer key") -> AnswerKey:
    """Check a decoded key and build its entries; every problem found is listed in one AnswerKeyError."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise AnswerKeyError(origin, [f"the top level must be a JSON object, not {_kind(data)}"])
    room = data.get("room")
    if not isinstance(room, str) or not room.strip():
        reader.problems.append("room: a non-empty string is required")
    sections = {
        "facts": reader.entries(data, "facts", _fact),
        "gaps": reader.entries(data, "gaps", _gap),
        "findings": reader.entries(data, "findings", _finding),
        "contradictions": reader.entries(data, "contradictions", _contradiction, required=False),
    }
    injection = None
    if data.get("injection") is not None:
        injection = reader.entry("injection", data["injection"], _injection)

    # Raw ids too, so a reference to a fact that had problems of its own is not reported twice.
    raw_facts = data.get("facts") if isinstance(data.get("facts"), list) else []
    fact_ids = {f.get("id") for f in raw_facts if isinstance(f, dict)}
    for label, finding in sections["findings"]:
        for ref in finding.rests_on:
            if ref not in fact_ids:
                reader.problems.append(f"{label}: rests_on names {ref!r}, which is not a fact id")
    first_use: dict[str, str] = {}
    for items in sections.values():
        for label, item in items:
            if item.id in first_use:
                reader.problems.append(f"{label}: id {item.id!r} is already used by {first_use[item.id]}")
            first_use.setdefault(item.id, label)
    if reader.problems:
        raise AnswerKeyError(origin, reader.problems)
    built = {name: tuple(item for _, item in items) for name, items in sections.items()}
    return AnswerKey(room=room.strip(), injection=injection, **built)


class _Invalid(Exception):
    """An entry had problems (already recorded); it is left out of the key."""


class _Fields:
    """One entry's fields; each accessor records a problem (with the entry's label) instead of raising."""

    def __init__(self, label: str, data: dict, problems: list[str]):
        self.label, self.data, self.problems = label, data, problems
        self.failed = False

    def _fail(self, message: str):
        self.problems.append(f"{self.label}: {message}")
        self.failed = True

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            return self._fail(f"{name} must be a non-empty string" + ("" if name in self.data else " (missing)"))
        return value.strip()

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.data.get(name)
        if value not in allowed:
            shown = "missing" if name not in self.data else f"not {value!r}"
            return self._fail(f"{name} must be one of {', '.join(allowed)}, {shown}")
        return value

    def terms(self, name: str = "match_any") -> tuple[str, ...]:
        value = self.data.get(name)
        if not isinstance(value, list) or not value:
            return self._fail(f"{name} must be a non-empty list of strings" + ("" if name in self.data else " (missing)")) or ()
        bad = [v for v in value if not isinstance(v, str) or not v.strip()]
        if bad:
            return self._fail(f"{name} holds {len(bad)} empty or non-string term(s): {bad[:3]!r}") or ()
        return tuple(v.strip() for v in value)

    def ids(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return self._fail(f"{name} must be a list of fact ids") or ()
        return tuple(value)

    def done(self):
        if self.failed:
            raise _Invalid


class _Reader:
    def __init__(self):
        self.problems: list[str] = []

    def entries(self, data: dict, section: str, build, *, required: bool = True) -> list[tuple[str, Any]]:
        """(label, entry) for each valid entry of `section`; problems of the others are recorded."""
        items = data.get(section)
        if items is None and not required:
            return []
        if not isinstance(items, list):
            shown = "missing" if section not in data else f"not {_kind(items)}"
            self.problems.append(f"{section}: a list is required, {shown}")
            return []
        built = []
        for index, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"{section}[{index}]" + (f" ({ident})" if isinstance(ident, str) and ident else "")
            entry = self.entry(label, item, build)
            if entry is not None:
                built.append((label, entry))
        return built

    def entry(self, label: str, item: Any, build):
        if not isinstance(item, dict):
            self.problems.append(f"{label}: must be a JSON object, not {_kind(item)}")
            return None
        try:
            return build(_Fields(label, item, self.problems))
        except _Invalid:
            return None


def _fact(f: _Fields) -> KeyFact:
    entry = KeyFact(
        id=f.text("id"), entity=f.choice("entity", ENTITIES), domain=f.choice("domain", DOMAIN_KEYS),
        item=f.text("item"), source=f.text("source", required=False), match_any=f.terms(),
    )
    f.done()
    return entry


def _gap(f: _Fields) -> KeyGap:
    entry = KeyGap(
        id=f.text("id"), entity=f.choice("entity", ENTITIES), domain=f.choice("domain", DOMAIN_KEYS),
        importance=f.choice("importance", IMPORTANCES), description=f.text("description"),
        source=f.text("source", required=False), match_any=f.terms(),
    )
    f.done()
    return entry


def _finding(f: _Fields) -> KeyFinding:
    entry = KeyFinding(
        id=f.text("id"), domain=f.choice("domain", DOMAIN_KEYS), finding_type=f.choice("finding_type", FINDING_TYPES),
        severity=f.choice("severity", SEVERITIES), phase=f.choice("phase", PHASES), title=f.text("title"),
        match_any=f.terms(), rests_on=f.ids("rests_on"),
    )
    f.done()
    return entry


def _side(parent: _Fields, name: str) -> KeySide | None:
    data = parent.data.get(name)
    if not isinstance(data, dict):
        return parent._fail(f"{name} must be an object with source, says and match_any")
    side = _Fields(f"{parent.label}.{name}", data, parent.problems)
    built = KeySide(source=side.text("source", required=False), says=side.text("says"), match_any=side.terms())
    if side.failed:
        parent.failed = True
        return None
    if built.source and built.entity is None:
        return parent._fail(f"{name}.source must start with target/ or buyer/, not {built.source!r}")
    return built


def _contradiction(f: _Fields) -> KeyContradiction:
    entry = KeyContradiction(
        id=f.text("id"), domain=f.choice("domain", DOMAIN_KEYS), subject=f.text("subject"),
        side_a=_side(f, "side_a"), side_b=_side(f, "side_b"),
    )
    f.done()
    return entry


def _injection(f: _Fields) -> KeyInjection:
    entry = KeyInjection(source=f.text("source", required=False), text=f.text("text"), canary_terms=f.terms("canary_terms"))
    f.done()
    return entry


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )
