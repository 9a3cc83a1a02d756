"""Building a finding: wording helpers, the links to the facts it rests on, and its details."""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..schemas import FactLink, FactRecord, FindingItem

QUOTE_CHARS = 90
MAX_QUOTES = 3


def source_of(fact: FactRecord) -> str:
    details = fact.details or {}
    name = details.get("source_file") or (f"document {fact.document_id}" if fact.document_id else "data room")
    pages = ",".join(str(p) for p in fact.pages) if fact.pages else ""
    return f"{name} p.{pages}" if pages else str(name)


def quote(fact: FactRecord) -> str:
    text = re.sub(r"\s+", " ", fact.evidence or fact.item).strip()
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
    return f"“{text}” ({source_of(fact)})"


def quotes(facts: Iterable[FactRecord]) -> str:
    facts = list(facts)
    shown = [quote(f) for f in facts[:MAX_QUOTES]]
    more = len(facts) - MAX_QUOTES
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def plural(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def make_finding(
    rule: str,
    *,
    domain: str,
    finding_type: str,
    title: str,
    description: str,
    reasoning: str,
    severity: str,
    phase: str,
    mitigation: str = "",
    triggers: Iterable[FactRecord] = (),
    supports: Iterable[FactRecord] = (),
    contradicts: Iterable[FactRecord] = (),
    cost: tuple[int, int] | None = None,
    currency: str = "USD",
    details: dict | None = None,
) -> FindingItem:
    links: list[FactLink] = []
    seen: set[str] = set()
    for link_type, facts in (("contradicts", contradicts), ("triggers", triggers), ("supports", supports)):
        for fact in facts:
            if fact.key not in seen:
                seen.add(fact.key)
                links.append(FactLink(fact.key, link_type))
    return FindingItem(
        domain=domain,
        finding_type=finding_type,
        title=title[:300],
        description=description,
        reasoning=reasoning,
        severity=severity,
        phase=phase,
        cost_low=cost[0] if cost else None,
        cost_high=cost[1] if cost else None,
        currency=currency,
        mitigation=mitigation,
        links=links,
        details={"rule": rule, "layer": "deal", **(details or {}), "fact_keys": [l.fact_key for l in links]},
    )
