"""Reading an earlier analysis from JSON into DealIQ's result items (pure: no Django, no database).

Two layouts are understood:

- DealIQ's own export: `{"deal": …, "run": …, "kind": "facts", "items": [...]}` per kind (the JSON
  downloads), one file each or several in a folder;
- the common legacy layout of file-based tools: one JSON list each for facts (`fact_id` such as
  `F-TGT-INFRA-001`, domain, category, item, details, evidence `{exact_quote, source_section}`, entity,
  source document), gaps (`gap_id`, domain, category, description, importance, entity) and findings —
  risks, work items and recommendations (severity, phase, cost) — as separate files (`facts.json`,
  `risks.json`…) or as lists under those names in one object.

Every entry comes back either as an item with its legacy id or as a rejection with the reason; nothing
is silently dropped, so the caller can reconcile what it read with what it stored.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .domains import DOMAIN_KEYS
from .schemas import FactItem, FactLink, FindingItem, GapItem

DEALIQ = "DealIQ export"
LEGACY = "legacy lists"
KINDS = ("facts", "gaps", "findings")
MAX_FILE_BYTES = 200 * 1024 * 1024

# List names → (kind, finding type).
LIST_NAMES = {
    "facts": ("facts", None), "gaps": ("gaps", None), "findings": ("findings", None),
    "risks": ("findings", "risk"), "work_items": ("findings", "work_item"), "workitems": ("findings", "work_item"),
    "recommendations": ("findings", "recommendation"),
}
DOMAIN_ALIASES = {
    "app": "applications", "apps": "applications", "application": "applications", "applications": "applications",
    "infra": "infrastructure", "infrastructure": "infrastructure", "inf": "infrastructure",
    "cyber": "cybersecurity", "sec": "cybersecurity", "security": "cybersecurity", "cybersecurity": "cybersecurity",
    "iam": "identity_access", "identity": "identity_access", "idam": "identity_access", "identity_access": "identity_access",
    "identity_and_access": "identity_access",
    "net": "network", "network": "network", "networking": "network",
    "org": "organization", "organization": "organization", "organisation": "organization", "people": "organization",
}
ENTITY_ALIASES = {"tgt": "target", "target": "target", "seller": "target", "byr": "buyer", "buy": "buyer", "buyer": "buyer",
                  "acquirer": "buyer"}
SEVERITY_ALIASES = {"critical": "critical", "crit": "critical", "high": "high", "medium": "medium", "med": "medium",
                    "moderate": "medium", "low": "low", "minor": "low"}
IMPORTANCE_ALIASES = {"critical": "critical", "high": "critical", "important": "important", "medium": "important",
                      "nice_to_have": "nice_to_have", "nice to have": "nice_to_have", "low": "nice_to_have", "optional": "nice_to_have"}
PHASE_ALIASES = {"day_1": "day_1", "day1": "day_1", "day 1": "day_1", "day-1": "day_1", "pre_close": "day_1",
                 "tsa": "tsa", "transition": "tsa", "100_day": "100_day", "100-day": "100_day", "100 day": "100_day",
                 "day_100": "100_day", "day 100": "100_day", "first_100_days": "100_day",
                 "long_term": "long_term", "long-term": "long_term", "long term": "long_term", "post_100": "long_term"}
TYPE_ALIASES = {"risk": "risk", "work_item": "work_item", "work item": "work_item", "workitem": "work_item",
                "recommendation": "recommendation", "strategic_consideration": "recommendation"}


class ImportFormatError(ValueError):
    """The file cannot be read as an analysis (not JSON, unknown layout…); the message says why."""


@dataclass
class Entry:
    kind: str
    legacy_id: str
    item: FactItem | GapItem | FindingItem | None = None
    error: str = ""
    fact_refs: list[str] = field(default_factory=list)  # legacy ids of the facts a finding cites
    source: str = ""


@dataclass
class ParsedAnalysis:
    layout: str
    files: list[str]
    entries: list[Entry]

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


# -- reading files --------------------------------------------------------------------------------

def read_sources(path: Path) -> list[tuple[str, Any]]:
    """(file name, parsed JSON) for a .json file, or every .json file of a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json" and p.is_file())
        if not files:
            raise ImportFormatError(f"{path}: no .json file in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise ImportFormatError(f"{path}: no such file or folder")
    sources = []
    for file in files:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ImportFormatError(f"{file.name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        try:
            sources.append((file.name, json.loads(file.read_text(encoding="utf-8-sig"))))
        except UnicodeDecodeError:
            raise ImportFormatError(f"{file.name}: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ImportFormatError(f"{file.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return sources


def _lists(filename: str, data: Any) -> Iterable[tuple[str, str | None, list, str]]:
    """(kind, finding type, items, layout) of one file."""
    stem = Path(filename).stem.lower().replace("-", "_")
    if isinstance(data, dict) and isinstance(data.get("items"), list) and data.get("kind") in KINDS:
        yield data["kind"], None, data["items"], DEALIQ
        return
    if isinstance(data, dict):
        found = False
        for name, items in data.items():
            key = str(name).lower().replace("-", "_")
            if key in LIST_NAMES and isinstance(items, list):
                kind, finding_type = LIST_NAMES[key]
                found = True
                yield kind, finding_type, items, LEGACY
        if not found:
            raise ImportFormatError(
                f"{filename}: an object without a DealIQ 'kind'/'items' nor lists named "
                f"{', '.join(sorted(LIST_NAMES))}"
            )
        return
    if isinstance(data, list):
        for name, (kind, finding_type) in LIST_NAMES.items():
            if stem == name or stem.endswith("_" + name):
                yield kind, finding_type, data, LEGACY
                return
        first = next((i for i in data if isinstance(i, dict)), {})
        for id_field, kind in (("fact_id", "facts"), ("gap_id", "gaps"), ("finding_id", "findings"), ("risk_id", "findings")):
            if id_field in first:
                yield kind, "risk" if id_field == "risk_id" else None, data, LEGACY
                return
        if not data:
            return
        raise ImportFormatError(f"{filename}: a list, but neither its name nor its items say whether it holds facts, gaps or findings")
    raise ImportFormatError(f"{filename}: expected a JSON object or list")


# -- normalising values ---------------------------------------------------------------------------

def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _alias(value, table: dict[str, str], what: str, default: str | None = None) -> str:
    raw = _text(value).lower().replace("&", "and")
    if not raw and default is not None:
        return default
    normal = raw.replace("-", "_") if raw.replace("-", "_") in table else raw
    if normal in table:
        return table[normal]
    if raw.replace(" ", "_") in table:
        return table[raw.replace(" ", "_")]
    raise ValueError(f"unknown {what} {value!r}")


_ID_PARTS = re.compile(r"^[A-Z]+-([A-Z]+)-([A-Z]+)-", re.I)


def _from_id(legacy_id: str) -> tuple[str | None, str | None]:
    """F-TGT-INFRA-001 → ("target", "infrastructure"); unknown parts → None."""
    match = _ID_PARTS.match(legacy_id or "")
    if not match:
        return None, None
    entity = ENTITY_ALIASES.get(match.group(1).lower())
    domain = DOMAIN_ALIASES.get(match.group(2).lower())
    return entity, domain


def _domain(raw: dict, legacy_id: str) -> str:
    value = raw.get("domain")
    if value in (None, ""):
        domain = _from_id(legacy_id)[1]
        if domain is None:
            raise ValueError("no domain")
        return domain
    value = _text(value).lower().replace(" and ", "_").replace(" & ", "_").replace(" ", "_")
    if value in DOMAIN_KEYS:
        return value
    return _alias(value, DOMAIN_ALIASES, "domain")


def _entity(raw: dict, legacy_id: str) -> str:
    value = raw.get("entity")
    if value in (None, ""):
        return _from_id(legacy_id)[0] or "target"
    return _alias(value, ENTITY_ALIASES, "entity")


_MONEY = re.compile(r"(\d+(?:[.,]\d+)*)\s*([kKmM]?)")


def _amount(text: str) -> int | None:
    match = _MONEY.search(text)
    if not match:
        return None
    digits, unit = match.groups()
    number = float(digits.replace(",", "")) if digits.count(",") != 1 or len(digits.split(",")[1]) == 3 else float(digits.replace(",", "."))
    return int(round(number * {"k": 1_000, "m": 1_000_000}.get(unit.lower(), 1)))


def _cost(raw: dict) -> tuple[int | None, int | None, str]:
    currency = _text(raw.get("currency")).upper()[:3] or "USD"
    low, high = raw.get("cost_low"), raw.get("cost_high")
    cost = raw.get("cost", raw.get("cost_estimate", raw.get("estimated_cost")))
    if low is None and high is None and cost is not None:
        if isinstance(cost, dict):
            low, high = cost.get("low", cost.get("min")), cost.get("high", cost.get("max"))
            currency = _text(cost.get("currency")).upper()[:3] or currency
        elif isinstance(cost, (int, float)):
            low = high = cost
        else:
            parts = re.split(r"\s*(?:-|–|—|to)\s*(?=[$€£]?\s*\d)", _text(cost))
            amounts = [_amount(p) for p in parts if _amount(p) is not None]
            if amounts:
                low, high = amounts[0], amounts[-1]
                # "$50k-100" reads as 50k–100k: a bare upper bound takes the lower bound's unit
                if len(amounts) == 2 and high < low and re.search(r"\d\s*[kKmM]", parts[0]) and not re.search(r"\d\s*[kKmM]", parts[-1]):
                    high = _amount(parts[-1] + parts[0][-1])
            for symbol, code in (("€", "EUR"), ("£", "GBP"), ("$", "USD")):
                if symbol in _text(cost):
                    currency = code
    low = _int_or_none(low)
    high = _int_or_none(high)
    if low is not None and high is None:
        high = low
    if high is not None and low is None:
        low = high
    return low, high, currency


def _int_or_none(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"negative cost {value!r}")
        return int(value)
    amount = _amount(_text(value))
    if amount is None:
        raise ValueError(f"cost {value!r} is not a number")
    return amount


_PAGE = re.compile(r"\b(?:p|pp|page|pages|pg)\.?\s*(\d+)", re.I)


def _pages(raw: dict, evidence: dict) -> list[int]:
    for value in (raw.get("pages"), raw.get("page"), evidence.get("page"), evidence.get("pages")):
        if isinstance(value, list):
            return [int(p) for p in value if str(p).isdigit()]
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return [int(value)]
    match = _PAGE.search(_text(evidence.get("source_section")) or _text(raw.get("source_section")))
    return [int(match.group(1))] if match else []


# -- entries --------------------------------------------------------------------------------------

def _fact(raw: dict, legacy_id: str, documents: dict[str, int], layout: str) -> FactItem:
    evidence_raw = raw.get("evidence")
    evidence = evidence_raw if isinstance(evidence_raw, dict) else {"exact_quote": evidence_raw}
    quote = _text(evidence.get("exact_quote") or evidence.get("quote"))
    if not quote:
        raise ValueError("no evidence quote (facts must quote their source)")
    source = _text(raw.get("source_document") or raw.get("document") or evidence.get("source_document")
                   or evidence.get("document"))
    details = raw.get("details") if isinstance(raw.get("details"), dict) else ({"details": raw["details"]} if raw.get("details") else {})
    details = dict(details)
    if evidence.get("source_section"):
        details["source_section"] = _text(evidence["source_section"])
    document_id = documents.get(Path(source).name.casefold()) if source else None
    if source and document_id is None:
        details["source_document"] = source  # the file is not (yet) in this deal's data room
    confidence = raw.get("confidence", 1.0)
    return FactItem(
        entity=_entity(raw, legacy_id), domain=_domain(raw, legacy_id), category=_text(raw.get("category")) or "general",
        item=_text(raw.get("item") or raw.get("title") or raw.get("name")), evidence=quote, document_id=document_id,
        pages=_pages(raw, evidence), details=details,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else 1.0,
    )


def _gap(raw: dict, legacy_id: str) -> GapItem:
    description = _text(raw.get("description") or raw.get("gap") or raw.get("title"))
    if not description:
        raise ValueError("no description")
    sources = raw.get("suggested_sources") or raw.get("documents_requested") or []
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(";") if s.strip()]
    return GapItem(
        entity=_entity(raw, legacy_id), domain=_domain(raw, legacy_id), category=_text(raw.get("category")) or "general",
        description=description, importance=_alias(raw.get("importance"), IMPORTANCE_ALIASES, "importance", "important"),
        suggested_sources=[_text(s) for s in sources],
    )


def _finding(raw: dict, legacy_id: str, finding_type: str | None) -> FindingItem:
    title = _text(raw.get("title") or raw.get("name") or raw.get("summary"))
    if not title:
        raise ValueError("no title")
    kind = finding_type or _alias(raw.get("finding_type") or raw.get("type"), TYPE_ALIASES, "finding type", "risk")
    low, high, currency = _cost(raw)
    if low is not None and high is not None and low > high:
        raise ValueError(f"cost low {low} is above cost high {high}")
    return FindingItem(
        domain=_domain(raw, legacy_id), finding_type=kind, title=title[:300],
        description=_text(raw.get("description")), reasoning=_text(raw.get("reasoning") or raw.get("rationale")),
        severity=_alias(raw.get("severity") or raw.get("priority"), SEVERITY_ALIASES, "severity", "medium"),
        phase=_alias(raw.get("phase") or raw.get("timing"), PHASE_ALIASES, "phase", "100_day"),
        cost_low=low, cost_high=high, currency=currency,
        mitigation=_text(raw.get("mitigation") or raw.get("recommendation") or raw.get("action")),
    )


_FACT_REF_FIELDS = ("fact_ids", "supporting_facts", "based_on_facts", "evidence_fact_ids", "facts", "related_facts")


def _fact_refs(raw: dict) -> list[str]:
    for name in _FACT_REF_FIELDS:
        value = raw.get(name)
        if isinstance(value, list):
            return [_text(v) for v in value if isinstance(v, (str, int))]
        if isinstance(value, str) and value:
            return [v.strip() for v in value.split(",") if v.strip()]
    return []


def _legacy_id(raw: dict, kind: str, index: int, filename: str) -> str:
    for name in ("fact_id", "gap_id", "finding_id", "risk_id", "work_item_id", "recommendation_id", "id", "key"):
        if raw.get(name) not in (None, ""):
            return _text(raw[name])[:100]
    return f"{filename}#{index + 1}"


def parse_analysis(sources: list[tuple[str, Any]], documents: dict[str, int] | None = None) -> ParsedAnalysis:
    """sources: (file name, JSON) from read_sources; documents: the deal's file names (casefolded) → id."""
    documents = documents or {}
    entries: list[Entry] = []
    layouts = set()
    for filename, data in sources:
        for kind, finding_type, items, layout in _lists(filename, data):
            layouts.add(layout)
            for index, raw in enumerate(items):
                if not isinstance(raw, dict):
                    entries.append(Entry(kind, f"{filename}#{index + 1}", error="not a JSON object", source=filename))
                    continue
                legacy_id = _legacy_id(raw, kind, index, filename)
                entry = Entry(kind, legacy_id, source=filename)
                try:
                    if kind == "facts":
                        entry.item = _fact(raw, legacy_id, documents, layout)
                    elif kind == "gaps":
                        entry.item = _gap(raw, legacy_id)
                    else:
                        entry.item = _finding(raw, legacy_id, finding_type)
                        entry.fact_refs = _fact_refs(raw)
                except (ValueError, TypeError) as exc:
                    entry.error = str(exc)
                entries.append(entry)
    _reject_duplicates(entries)
    _link_findings(entries)
    return ParsedAnalysis(" + ".join(sorted(layouts)) or "empty", [name for name, _ in sources], entries)


def _reject_duplicates(entries: list[Entry]) -> None:
    """Two entries that are the same item (same natural key) would be stored once: the later is rejected."""
    first: dict[tuple[str, str], str] = {}
    for entry in entries:
        if entry.item is None:
            continue
        key = (entry.kind, entry.item.key)
        if key in first:
            entry.error, entry.item = f"the same {entry.kind[:-1]} as {first[key]}", None
        else:
            first[key] = entry.legacy_id


def _link_findings(entries: list[Entry]) -> None:
    fact_keys = {e.legacy_id: e.item.key for e in entries if e.kind == "facts" and e.item is not None}
    for entry in entries:
        if entry.kind == "findings" and entry.item is not None:
            entry.item.links = [FactLink(fact_keys[ref], "supports") for ref in entry.fact_refs if ref in fact_keys]
