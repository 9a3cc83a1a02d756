"""Tool input → the engine's result schema, item by item.

A model answering with 40 findings gets a field wrong now and then; one bad item must not cost the
other 39. So each fact, gap and finding is validated on its own:

* a **fixable** item is normalised and kept, with a note in its `details["normalised"]` (a cost range
  out of order or not positive → no cost range; a citation of an unknown fact or gap ref → that link
  dropped);
* an **invalid** item (off-schema, empty title / item / evidence / description) is dropped and counted
  by reason in the `ItemReport`, with a readable error kept for a repair request.

`OutputInvalid` is raised only for an answer unusable as a whole: no call of the tool, input that is
not an object, or without its item lists. The engine decides whether to ask for a repair (the whole
answer, or only the dropped items when most of them were dropped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...schemas import FactItem, FactLink, FindingItem, GapItem, ItemReport, SchemaError
from .tools import DISCOVERY_TOOL, REASONING_TOOL, schema_errors

# Reasons, as shown on the run page.
OFF_SCHEMA = "does not match the tool schema"
EMPTY_EVIDENCE = "empty evidence quote"
EMPTY_ITEM = "empty fact item"
EMPTY_DESCRIPTION = "empty gap description"
EMPTY_TITLE = "empty finding title"
COST_OUT_OF_ORDER = "cost range out of order (range removed)"
COST_NOT_POSITIVE = "cost not positive (range removed)"
UNKNOWN_FACT_REF = "unknown fact ref (link removed)"
UNKNOWN_GAP_REF = "unknown gap ref (link removed)"


class OutputInvalid(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


@dataclass
class Parsed:
    """The usable items of one answer, what validation did, and the dropped items' errors."""

    items: list[Any] = field(default_factory=list)
    report: ItemReport = field(default_factory=ItemReport)
    errors: list[str] = field(default_factory=list)
    dropped_links: int = 0

    @property
    def mostly_invalid(self) -> bool:
        """More items dropped than kept: worth one repair call for the dropped ones."""
        dropped = self.report.dropped_total
        return dropped > 0 and dropped > len(self.items)

    def merge(self, other: "Parsed") -> "Parsed":
        self.items.extend(other.items)
        self.report.add(other.report)
        self.dropped_links += other.dropped_links
        return self


def tool_input(content: list[dict[str, Any]], tool_name: str) -> dict[str, Any]:
    for block in content:
        if block.get("type") == "tool_use" and block.get("name") == tool_name:
            data = block.get("input")
            if isinstance(data, dict):
                return data
            raise OutputInvalid([f"{tool_name} input is not an object"])
    raise OutputInvalid([f"the answer did not call {tool_name}"])


def _lists(data: dict[str, Any], names: tuple[str, ...]) -> None:
    errors = [
        f"input: missing {name!r}" if name not in data else f"input.{name}: expected array, got {type(data[name]).__name__}"
        for name in names
        if not isinstance(data.get(name), list)
    ]
    if errors:
        raise OutputInvalid(errors + [f"input: unexpected {name!r}" for name in data if name not in names])


def _item_schema(tool: dict[str, Any], name: str) -> dict[str, Any]:
    return tool["input_schema"]["properties"][name]["items"]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class _Counter:
    """Builds a Parsed: kept / normalised (item kept, fix noted) / dropped (error kept)."""

    def __init__(self) -> None:
        self.parsed = Parsed()

    def keep(self, item: Any, reasons: list[str]) -> None:
        self.parsed.items.append(item)
        self.parsed.report.kept += 1
        if reasons:
            self.parsed.report.normalised_items += 1
            for reason in reasons:
                self.parsed.report.normalise(reason)

    def drop(self, reason: str, error: str) -> None:
        self.parsed.report.drop(reason)
        self.parsed.errors.append(error)


def discovery_items(data: dict[str, Any], *, domain: str, entity: str) -> Parsed:
    """Facts (not yet grounded: pages are the model's claim until grounding replaces them) and gaps.

    `Parsed.items` holds FactItem and GapItem objects in answer order."""
    _lists(data, ("facts", "gaps"))
    counter = _Counter()
    fact_schema = _item_schema(DISCOVERY_TOOL, "facts")
    for i, raw in enumerate(data["facts"]):
        where = f"input.facts[{i}]"
        errors = schema_errors(raw, fact_schema, where)
        if errors:
            counter.drop(OFF_SCHEMA, "; ".join(errors[:3]))
            continue
        if not _text(raw["evidence"]):
            counter.drop(EMPTY_EVIDENCE, f"{where}.evidence is empty")
            continue
        if not _text(raw["item"]):
            counter.drop(EMPTY_ITEM, f"{where}.item is empty")
            continue
        try:
            fact = FactItem(
                entity=entity,
                domain=domain,
                category=_text(raw["category"]) or "general",
                item=_text(raw["item"]),
                evidence=_text(raw["evidence"]),
                document_id=raw["document_id"],
                pages=[raw["page"]],
                details={d["name"].strip(): d["value"] for d in raw["details"] if d["name"].strip()},
            )
        except SchemaError as exc:
            counter.drop(OFF_SCHEMA, f"{where}: {exc}")
            continue
        counter.keep(fact, [])
    gap_schema = _item_schema(DISCOVERY_TOOL, "gaps")
    for i, raw in enumerate(data["gaps"]):
        where = f"input.gaps[{i}]"
        errors = schema_errors(raw, gap_schema, where)
        if errors:
            counter.drop(OFF_SCHEMA, "; ".join(errors[:3]))
            continue
        if not _text(raw["description"]):
            counter.drop(EMPTY_DESCRIPTION, f"{where}.description is empty")
            continue
        gap = GapItem(
            entity=entity,
            domain=domain,
            category=_text(raw["category"]) or "general",
            description=_text(raw["description"]),
            importance=raw["importance"],
            suggested_sources=[s for s in raw["suggested_sources"] if s.strip()],
        )
        counter.keep(gap, [])
    return counter.parsed


def _cost_range(raw: dict[str, Any]) -> tuple[int | None, int | None, str, str]:
    """(low, high, reason, note): a range the model got wrong is removed rather than guessed at."""
    low, high = raw["cost_low"], raw["cost_high"]
    if any(c is not None and c <= 0 for c in (low, high)):
        return None, None, COST_NOT_POSITIVE, f"cost range {low}–{high} removed: costs must be positive"
    if low is not None and high is not None and low > high:
        return None, None, COST_OUT_OF_ORDER, f"cost range removed: cost_low {low} is above cost_high {high}"
    return low, high, "", ""


def findings(data: dict[str, Any], *, domain: str, fact_keys: dict[str, str], gap_keys: dict[str, str]) -> Parsed:
    """Findings with links to known facts and gaps; citations of unknown refs are removed and noted."""
    _lists(data, ("findings",))
    counter = _Counter()
    schema = _item_schema(REASONING_TOOL, "findings")
    for i, raw in enumerate(data["findings"]):
        where = f"input.findings[{i}]"
        errors = schema_errors(raw, schema, where)
        if errors:
            counter.drop(OFF_SCHEMA, "; ".join(errors[:3]))
            continue
        if not _text(raw["title"]):
            counter.drop(EMPTY_TITLE, f"{where}.title is empty")
            continue
        reasons: list[str] = []
        notes: list[str] = []
        links: list[FactLink] = []
        seen: set[str] = set()
        unknown_facts = 0
        for cited in raw["facts"]:
            key = fact_keys.get(cited["ref"].strip())
            if key is None:
                unknown_facts += 1
            elif key not in seen:
                seen.add(key)
                links.append(FactLink(key, cited["link_type"]))
        if unknown_facts:
            counter.parsed.dropped_links += unknown_facts
            reasons.append(UNKNOWN_FACT_REF)
            notes.append(f"{unknown_facts} citation(s) of unknown fact refs removed")
        cited_gaps = {gap_keys[r.strip()] for r in raw["gap_refs"] if r.strip() in gap_keys}
        unknown_gaps = sum(1 for r in raw["gap_refs"] if r.strip() not in gap_keys)
        if unknown_gaps:
            reasons.append(UNKNOWN_GAP_REF)
            notes.append(f"{unknown_gaps} citation(s) of unknown gap refs removed")
        low, high, cost_reason, cost_note = _cost_range(raw)
        if cost_reason:
            reasons.append(cost_reason)
            notes.append(cost_note)
        details: dict[str, Any] = {}
        if cited_gaps:
            details["gap_keys"] = sorted(cited_gaps)
        if notes:
            details["normalised"] = notes
        try:
            finding = FindingItem(
                domain=domain,
                finding_type=raw["finding_type"],
                title=_text(raw["title"]),
                description=_text(raw["description"]),
                reasoning=_text(raw["reasoning"]),
                severity=raw["severity"],
                phase=raw["phase"],
                cost_low=low,
                cost_high=high,
                currency=(_text(raw["currency"]).upper() or "USD")[:3],
                mitigation=_text(raw["mitigation"]),
                links=links,
                details=details,
            )
        except SchemaError as exc:
            counter.drop(OFF_SCHEMA, f"{where}: {exc}")
            continue
        counter.keep(finding, reasons)
    return counter.parsed
