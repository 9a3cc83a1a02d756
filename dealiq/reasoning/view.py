"""What every deal-level rule reads: the run's facts of both entities and all domains, and plain-text
helpers that work the same on the offline engine's structured facts and on a model's free-form ones.

A rule never trusts one engine's detail names alone: it reads the structured detail when there is one
(`control`/`status`, `cidr`, `end_date`, `measure`/`value`, `function`/`platform`…) and otherwise the
fact's words (item, category, evidence, detail values), so Claude's `{"name": "expiry", "value":
"31/03/2027"}` and the offline `end_date: 2027-03-31` give the same finding.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from functools import cached_property

from ..engines.offline.dates import parse_date
from ..schemas import DealContext, FactRecord, GapRecord

PRESENT, PARTIAL, ABSENT = "present", "partial", "absent"

_DATE_IN_TEXT = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}"
    r"|[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{4}|Q[1-4]\s+\d{4})\b"
)
_CIDR = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})(?!\d)")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s?%")
_NEGATIVE = re.compile(
    r"\b(?:no|not|none|never|without|lacks?|lacking|missing|absent|disabled|n/a|unavailable|untested|still (?:enabled|active|open)|"
    r"overdue|not evidenced|nonconformit\w*|deferred|postponed|outside|excluded|lapsed|expired|"
    r"not yet|no longer|has not been|have not been|was not|were not|isn['’]t|aren['’]t|doesn['’]t|don['’]t)\b",
    re.IGNORECASE,
)
_PARTIAL = re.compile(
    r"\b(?:only|partial(?:ly)?|some|except|excluding|pilot|in progress|planned|rolling out|most|majority|limited|"
    r"not all|not for|but not)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(?:all|every|enforced|in place|enabled|implemented|deployed|yes|tested|complete|completed|full(?:y)?|"
    r"100\s?%|mandatory|active|operational|established|compliant)\b",
    re.IGNORECASE,
)


def fact_text(fact: FactRecord) -> str:
    """Item, category, evidence and the detail values of a fact, as one string (for word matching)."""
    details = " ".join(
        f"{k} {v}" for k, v in (fact.details or {}).items()
        if isinstance(v, (str, int, float)) and k not in ("source_file", "lifecycle_source", "rule", "reference_date")
    )
    return f"{fact.item} {fact.category.replace('_', ' ')} {fact.evidence} {details}"


def dates_in(text: str) -> list[dt.date]:
    found = []
    for match in _DATE_IN_TEXT.finditer(text or ""):
        day = parse_date(match.group(1))
        if day is not None and 1990 <= day.year <= 2100:
            found.append(day)
    return found


def networks_in(fact: FactRecord) -> list[ipaddress.IPv4Network]:
    out = []
    text = fact_text(fact)
    raw = ([(fact.details or {}).get("cidr") or ""] + _CIDR.findall(text)) if "/" in text else []
    for text in raw:
        try:
            network = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            continue
        if network not in out and network.prefixlen >= 8:
            out.append(network)
    return out


def status_of(fact: FactRecord) -> str | None:
    """present / partial / absent: the structured status when the engine gave one, else read from words."""
    status = (fact.details or {}).get("status")
    if status in (PRESENT, PARTIAL, ABSENT):
        return status
    text = f"{fact.item} {fact.evidence} " + " ".join(
        str(v) for k, v in (fact.details or {}).items() if k not in ("source_file",) and isinstance(v, (str, int, float))
    )
    percents = [float(p) for p in _PERCENT.findall(text)]
    if percents and min(percents) < 100:
        return PARTIAL if min(percents) > 0 else ABSENT
    if _PARTIAL.search(text):
        return PARTIAL
    if _NEGATIVE.search(text):
        return ABSENT
    if _POSITIVE.search(text) or (percents and min(percents) >= 100):
        return PRESENT
    return None


def document_of(fact: FactRecord) -> str:
    return str((fact.details or {}).get("source_file") or fact.document_id or "")


@dataclass
class DealView:
    deal: DealContext
    facts: list[FactRecord]
    gaps: list[GapRecord] = field(default_factory=list)
    # Facts a rule has already reported inside a more specific finding (a custom application's runtime):
    # the rules after it leave them out, so one risk is not written twice.
    covered: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Sorted, so the findings never depend on the order the facts were read in.
        self.facts = sorted(self.facts, key=lambda f: (f.entity, f.domain, f.category, f.item, f.key))
        self.gaps = sorted(self.gaps, key=lambda g: (g.entity, g.domain, g.category, g.key))

    @property
    def reference_date(self) -> dt.date:
        return self.deal.reference_date

    @property
    def is_carve_out(self) -> bool:
        return self.deal.deal_type == "carve_out"

    def of(self, *entities: str) -> list[FactRecord]:
        return [f for f in self.facts if f.entity in entities]

    @cached_property
    def texts(self) -> dict[str, str]:
        return {f.key: fact_text(f) for f in self.facts}

    def text(self, fact: FactRecord) -> str:
        return self.texts.get(fact.key) or fact_text(fact)

    def entities_in_scope(self) -> tuple[str, ...]:
        """Whose estate the deal's risks are about: the target; in a merger both companies."""
        return ("target", "buyer") if self.deal.deal_type == "merger" else ("target",)

    def name(self, entity: str) -> str:
        return (self.deal.target_name if entity == "target" else self.deal.buyer_name) or f"the {entity}"
