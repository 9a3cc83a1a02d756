"""What every finding family shares: the facts in view, the subject a family finds, and how a rule's
`emit` list turns a subject into findings (wording, severity, phase, cost, links)."""
from __future__ import annotations

import datetime as dt
import math
import re
import string
from dataclasses import dataclass, field
from typing import Any, Iterable

from ....rules import RuleError
from ....schemas import FINDING_TYPES, PHASES, SEVERITIES, DealContext, FactLink, FactRecord, FindingItem, GapRecord
from ..costing import CostEstimate, CostModel

_FORMATTER = string.Formatter()
QUOTE_CHARS = 90
MAX_QUOTES = 3


@dataclass
class Subject:
    """One thing a rule fires on (a product release, a control, a shared asset...) and the facts behind it."""

    entity: str
    facts: list[FactRecord]
    vars: dict[str, Any] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    quantity: tuple[int, int] | None = None  # used by `quantity: count`
    link_type: str = "triggers"
    supporting: list[FactRecord] = field(default_factory=list)  # linked as "supports"


@dataclass
class ReasoningContext:
    deal: DealContext
    domain: str
    facts: list[FactRecord]
    gaps: list[GapRecord]
    costs: CostModel

    @property
    def reference_date(self) -> dt.date:
        return self.deal.reference_date

    def facts_for(self, entities: Iterable[str]) -> list[FactRecord]:
        wanted = set(entities)
        return [f for f in self.facts if f.entity in wanted]

    def measure(self, entity: str, name: str) -> tuple[int, int, list[FactRecord]] | None:
        """A numeric measure (user_count, site_count...) stated in this domain's facts: (low, high, facts)."""
        facts = [
            f for f in self.facts
            if f.entity == entity and (f.details or {}).get("measure") == name and isinstance((f.details or {}).get("value"), int)
        ]
        if not facts:
            return None
        values = [f.details["value"] for f in facts]
        return min(values), max(values), facts

    def base_vars(self, entity: str) -> dict[str, Any]:
        names = {"target": self.deal.target_name, "buyer": self.deal.buyer_name}
        return {
            "entity": entity,
            "entity_cap": f"The {entity}",
            "entity_name": names.get(entity) or f"the {entity}",
            "target": self.deal.target_name or "the target",
            "buyer": self.deal.buyer_name or "the buyer",
            "reference_date": self.reference_date.isoformat(),
            "deal_type": self.deal.deal_type.replace("_", "-"),
        }


# -- wording helpers shared by the families ---------------------------------------------------------------


def source_of(fact: FactRecord) -> str:
    details = fact.details or {}
    name = details.get("source_file") or (f"document {fact.document_id}" if fact.document_id else "data room")
    pages = ",".join(str(p) for p in fact.pages) if fact.pages else ""
    return f"{name} p.{pages}" if pages else name


def quote(fact: FactRecord) -> str:
    text = re.sub(r"\s+", " ", fact.evidence or fact.item).strip()
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
    return f"“{text}” ({source_of(fact)})"


def quotes(facts: list[FactRecord]) -> str:
    shown = [quote(f) for f in facts[:MAX_QUOTES]]
    more = len(facts) - MAX_QUOTES
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def subject_name(fact: FactRecord, limit: int = 60) -> str:
    """The part of a fact's item after its label: "Key-person dependency: Marek Duda" → "Marek Duda"."""
    text = fact.item.split(": ", 1)[1] if ": " in fact.item else fact.item
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def plural(unit: str, count: int) -> str:
    return unit if count == 1 else f"{unit}s"


# -- emitting findings ------------------------------------------------------------------------------------


def _render(template: Any, values: dict[str, Any], where: str) -> str:
    if template is None:
        return ""
    template = str(template)
    names = [name for _, name, _, _ in _FORMATTER.parse(template) if name]
    missing = [n for n in names if n not in values]
    if missing:
        raise RuleError(f"{where}: unknown variable(s) {missing} in {template!r}")
    return template.format(**{n: values[n] for n in names})


def _choose(spec: Any, subject: Subject, values: dict[str, Any], allowed: tuple[str, ...], what: str, where: str) -> str:
    if isinstance(spec, dict):
        chosen = next((v for k, v in spec.items() if k != "default" and k in subject.flags), spec.get("default"))
    else:
        chosen = spec
    value = _render(chosen, values, where)
    if value not in allowed:
        raise RuleError(f"{where}: {what} {value!r} is not one of {allowed}")
    return value


def _cost(spec: dict, subject: Subject, values: dict, ctx: ReasoningContext, where: str) -> tuple[CostEstimate | None, list[FactRecord]]:
    item_id = _render(spec.get("item"), values, where)
    if not item_id:
        return None, []
    driver = _render(spec.get("quantity", ""), values, where)
    supporting: list[FactRecord] = []
    low = high = None
    basis = ""
    if driver == "count" and subject.quantity:
        low, high = subject.quantity
        basis = "as stated in the documents"
    elif driver == "fact_count":
        low = high = max(1, len({f.key for f in subject.facts}))
        basis = "one per finding"
    elif driver and driver not in ("count", "fact_count"):
        found = ctx.measure(subject.entity, driver)
        if found:
            low, high, supporting = found
            basis = f"{driver.replace('_', ' ')} stated in the documents"
    if low is not None and spec.get("uncovered_share") and isinstance(subject.vars.get("coverage_pct"), (int, float)):
        share = max(0.0, 1 - subject.vars["coverage_pct"] / 100)
        low, high = max(1, math.ceil(low * share)), max(1, math.ceil(high * share))
        basis += f", uncovered share {share:.0%}"
    return ctx.costs.estimate(item_id, low, basis, quantity_high=high), supporting


def emit(rule: dict, subject: Subject, ctx: ReasoningContext) -> list[FindingItem]:
    values = {**ctx.base_vars(subject.entity), "quotes": quotes(subject.facts), **subject.vars}
    findings = []
    for index, spec in enumerate(rule.get("emit") or []):
        where = f"findings.yaml rule {rule['id']!r} emit #{index + 1}"
        finding_type = spec.get("finding_type")
        if finding_type not in FINDING_TYPES:
            raise RuleError(f"{where}: finding_type must be one of {FINDING_TYPES}")
        estimate, supporting = (None, [])
        # A rule writes one finding per remediation (a control gap is a risk that carries its fix's cost; a
        # risk with a separate work item leaves the cost to the work item), so nothing is counted twice.
        if spec.get("cost"):
            estimate, supporting = _cost(spec["cost"], subject, values, ctx, where)
        description = _render(spec.get("description"), values, where)
        details: dict[str, Any] = {"rule": rule["id"], "kind": rule["kind"], "entity": subject.entity}
        if estimate:
            description = f"{description} Cost basis: {estimate.sentence(ctx.costs.currency)}"
            details["cost_assumptions"] = [estimate.as_assumption()]
        links = _links(subject, supporting)
        details["fact_keys"] = [link.fact_key for link in links]
        findings.append(
            FindingItem(
                domain=ctx.domain,
                finding_type=finding_type,
                title=_render(spec.get("title"), values, where),
                description=description,
                reasoning=_render(spec.get("reasoning"), values, where),
                severity=_choose(spec.get("severity", "medium"), subject, values, SEVERITIES, "severity", where),
                phase=_choose(spec.get("phase", "100_day"), subject, values, PHASES, "phase", where),
                cost_low=estimate.low if estimate else None,
                cost_high=estimate.high if estimate else None,
                currency=ctx.costs.currency,
                mitigation=_render(spec.get("mitigation"), values, where),
                links=links,
                details=details,
            )
        )
    return findings


def _links(subject: Subject, supporting: list[FactRecord]) -> list[FactLink]:
    links: list[FactLink] = []
    seen: set[str] = set()
    for fact in subject.facts:
        if fact.key not in seen:
            seen.add(fact.key)
            links.append(FactLink(fact.key, subject.link_type))
    for fact in list(subject.supporting) + supporting:
        if fact.key not in seen:
            seen.add(fact.key)
            links.append(FactLink(fact.key, "supports"))
    return links
