"""Tool input → the engine's result schema. Anything that does not fit raises OutputInvalid.

OutputInvalid carries readable errors; the engine sends them back to the model once (repair) and
gives up with a PermanentError if the second answer is invalid too.
"""
from __future__ import annotations

from typing import Any

from ...schemas import FactItem, FactLink, FindingItem, GapItem, SchemaError
from .tools import DISCOVERY_TOOL, REASONING_TOOL, schema_errors


class OutputInvalid(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


def tool_input(content: list[dict[str, Any]], tool_name: str) -> dict[str, Any]:
    for block in content:
        if block.get("type") == "tool_use" and block.get("name") == tool_name:
            data = block.get("input")
            if isinstance(data, dict):
                return data
            raise OutputInvalid([f"{tool_name} input is not an object"])
    raise OutputInvalid([f"the answer did not call {tool_name}"])


def _check(data: dict[str, Any], tool: dict[str, Any]) -> None:
    errors = schema_errors(data, tool["input_schema"])
    if errors:
        raise OutputInvalid(errors)


def discovery_items(data: dict[str, Any], *, domain: str, entity: str) -> tuple[list[FactItem], list[GapItem]]:
    """Facts (not yet grounded: pages are the model's claim until grounding replaces them) and gaps."""
    _check(data, DISCOVERY_TOOL)
    errors: list[str] = []
    facts: list[FactItem] = []
    for i, raw in enumerate(data["facts"]):
        try:
            facts.append(
                FactItem(
                    entity=entity,
                    domain=domain,
                    category=raw["category"].strip() or "general",
                    item=raw["item"].strip(),
                    evidence=raw["evidence"].strip(),
                    document_id=raw["document_id"],
                    pages=[raw["page"]],
                    details={d["name"].strip(): d["value"] for d in raw["details"] if d["name"].strip()},
                )
            )
        except SchemaError as exc:
            errors.append(f"input.facts[{i}]: {exc}")
        if not raw["evidence"].strip():
            errors.append(f"input.facts[{i}].evidence is empty")
    gaps: list[GapItem] = []
    for i, raw in enumerate(data["gaps"]):
        if not raw["description"].strip():
            errors.append(f"input.gaps[{i}].description is empty")
            continue
        gaps.append(
            GapItem(
                entity=entity,
                domain=domain,
                category=raw["category"].strip() or "general",
                description=raw["description"].strip(),
                importance=raw["importance"],
                suggested_sources=[s for s in raw["suggested_sources"] if s.strip()],
            )
        )
    if errors:
        raise OutputInvalid(errors)
    return facts, gaps


def findings(
    data: dict[str, Any], *, domain: str, fact_keys: dict[str, str], gap_keys: dict[str, str]
) -> tuple[list[FindingItem], int]:
    """Findings with links to known facts; unknown fact refs are dropped and counted."""
    _check(data, REASONING_TOOL)
    errors: list[str] = []
    items: list[FindingItem] = []
    dropped = 0
    for i, raw in enumerate(data["findings"]):
        links: list[FactLink] = []
        seen: set[str] = set()
        for cited in raw["facts"]:
            key = fact_keys.get(cited["ref"].strip())
            if key is None:
                dropped += 1
            elif key not in seen:
                seen.add(key)
                links.append(FactLink(key, cited["link_type"]))
        details: dict[str, Any] = {}
        cited_gaps = [gap_keys[r.strip()] for r in raw["gap_refs"] if r.strip() in gap_keys]
        if cited_gaps:
            details["gap_keys"] = sorted(set(cited_gaps))
        try:
            items.append(
                FindingItem(
                    domain=domain,
                    finding_type=raw["finding_type"],
                    title=raw["title"].strip(),
                    description=raw["description"].strip(),
                    reasoning=raw["reasoning"].strip(),
                    severity=raw["severity"],
                    phase=raw["phase"],
                    cost_low=raw["cost_low"],
                    cost_high=raw["cost_high"],
                    currency=(raw["currency"].strip().upper() or "USD")[:3],
                    mitigation=raw["mitigation"].strip(),
                    links=links,
                    details=details,
                )
            )
        except SchemaError as exc:
            errors.append(f"input.findings[{i}]: {exc}")
        if not raw["title"].strip():
            errors.append(f"input.findings[{i}].title is empty")
        if any(c is not None and c < 0 for c in (raw["cost_low"], raw["cost_high"])):
            errors.append(f"input.findings[{i}]: costs cannot be negative")
    if errors:
        raise OutputInvalid(errors)
    return items, dropped
