"""Dates against the completion date: contracts and support agreements ending around completion, and
TSA terms shorter than the buyer's own migration timeline for the same system. The arithmetic is done
here, on dates read from the facts; no engine is trusted to have done it.
"""
from __future__ import annotations

import datetime as dt
import re

from ..eol.catalogue import add_months, months_between
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .systems import systems_in, domain_for_systems
from .view import DealView, dates_in

WINDOW_MONTHS = 6
_CONTRACT_WORDS = re.compile(
    r"\b(?:contract|agreement|subscription|licen[cs]e|maintenance|support (?:agreement|contract)|lease|renewal|SLA|MSA)\b",
    re.IGNORECASE,
)
_END_KEYS = re.compile(r"end|expir|renew|until|terminat|valid", re.IGNORECASE)
_END_IN_TEXT = re.compile(
    r"\b(?:expir\w*|ends?|ending|end date|until|through|renew\w*|terminat\w*|valid (?:to|until)|runs? (?:to|until)|term(?:inates)?)\b"
    r"[^.;]{0,40}?",
    re.IGNORECASE,
)
_PARTY_KEYS = ("party", "vendor", "supplier", "provider", "counterparty", "company")
_TSA = re.compile(r"\bTSA\b|transitional service|transition service", re.IGNORECASE)
_MIGRATION = re.compile(r"\b(?:migrat\w*|move[sd]?|moving|onboard\w*|integrat\w*|consolidat\w*|cut ?over|transition\w*)\b", re.IGNORECASE)
_WITHIN_MONTHS = re.compile(r"\b(?:within|in|inside|over|up to|by)\s+(\d{1,2})\s+months\b|\b(\d{1,2})[- ]month\b", re.IGNORECASE)
_TERM_MONTHS = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:months?|mths?)\b", re.IGNORECASE)
_TERM_YEARS = re.compile(r"\b(\d)\s*(?:-\s*)?years?\b", re.IGNORECASE)


def end_date(fact: FactRecord) -> dt.date | None:
    details = fact.details or {}
    for key, value in sorted(details.items()):
        if _END_KEYS.search(str(key)) and isinstance(value, str):
            found = dates_in(value) or dates_in(value.strip())
            if found:
                return found[0]
    if details.get("rule"):
        return None
    for match in _END_IN_TEXT.finditer(fact.evidence or ""):
        found = dates_in((fact.evidence or "")[match.start():match.end() + 30])
        if found:
            return found[0]
    return None


def _is_contract(view: DealView, fact: FactRecord) -> bool:
    if fact.category in ("contract_clause", "tsa") or _TSA.search(fact.item):
        return False
    return "contract" in fact.category or "licen" in fact.category or bool(_CONTRACT_WORDS.search(view.text(fact)))


def _party(fact: FactRecord) -> str:
    details = fact.details or {}
    for key in _PARTY_KEYS:
        if details.get(key):
            return str(details[key])
    text = fact.item.split(": ", 1)[1] if ": " in fact.item else fact.item
    text = re.split(r"\s[(,–-]\s?|, ends", text)[0]
    return text[:60]


def contract_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    reference = view.reference_date
    earliest, latest = add_months(reference, -WINDOW_MONTHS), add_months(reference, WINDOW_MONTHS)
    by_subject: dict[tuple[str, str], list[tuple[FactRecord, dt.date]]] = {}
    for fact in view.of(*view.entities_in_scope()):
        if not _is_contract(view, fact):
            continue
        end = end_date(fact)
        if end is None or not earliest <= end <= latest:
            continue
        by_subject.setdefault((fact.entity, _party(fact)), []).append((fact, end))

    out = []
    for (entity, party), hits in sorted(by_subject.items()):
        facts = [f for f, _ in hits]
        end = min(d for _, d in hits)
        days = (end - reference).days
        when = f"{-days} days before" if days < 0 else f"{days} days after"
        notice = next(((f.details or {}).get("notice") for f in facts if (f.details or {}).get("notice")), None)
        urgent = days < 0 or end <= add_months(reference, 3)
        out.append(
            make_finding(
                "contract_near_completion",
                domain=facts[0].domain,
                finding_type="risk",
                title=f"Contract ends near close: {party}",
                description=(
                    f"The {entity}'s contract with {party} ends on {end.isoformat()}, {when} the completion date "
                    f"{reference.isoformat()}{f'; notice period {notice}' if notice else ''}. A lapse or a rushed renewal "
                    "around completion disrupts the service or weakens the negotiating position."
                ),
                reasoning=f"End date {end.isoformat()} ({quotes(facts)}) is within {WINDOW_MONTHS} months of {reference.isoformat()}.",
                severity="high" if urgent else "medium",
                phase="day_1",
                mitigation="Extend or renew before completion on terms that allow assignment to the new owner; check notice periods now.",
                triggers=facts,
                details={"entity": entity, "end_date": end.isoformat(), "days_from_completion": days},
            )
        )
    return out


def _tsa_term(view: DealView, fact: FactRecord) -> int | None:
    details = fact.details or {}
    for key in ("term_months", "months", "tsa_months", "duration_months"):
        if isinstance(details.get(key), int):
            return details[key]
    text = view.text(fact)
    if m := _TERM_MONTHS.search(text):
        return int(m.group(1))
    if m := _TERM_YEARS.search(text):
        return int(m.group(1)) * 12
    ends = [d for d in dates_in(text) if d > view.reference_date]
    return months_between(view.reference_date, min(ends)) if ends else None


def _migration_months(view: DealView, fact: FactRecord) -> int | None:
    details = fact.details or {}
    if isinstance(details.get("months"), int) and details.get("policy"):
        return details["months"]
    text = view.text(fact)
    if _TSA.search(text) or not _MIGRATION.search(text):
        return None
    m = _WITHIN_MONTHS.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def tsa_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    tsas = [(f, t) for f in view.of("target") if _TSA.search(view.text(f)) and (t := _tsa_term(view, f))]
    timelines = [(f, m) for f in view.of("buyer") if (m := _migration_months(view, f))]
    if not tsas or not timelines:
        return []
    grouped: dict[str, tuple[list[FactRecord], int, list[FactRecord], int, set[str]]] = {}
    for tsa, term in tsas:
        tsa_systems = systems_in(view.text(tsa))
        for rule, months in timelines:
            rule_systems = systems_in(view.text(rule))
            shared = tsa_systems & rule_systems if rule_systems and tsa_systems else (tsa_systems or rule_systems)
            if rule_systems and tsa_systems and not shared:
                continue
            if months <= term:
                continue
            label = ", ".join(sorted(shared)) or "transitional services"
            facts, t, rules_facts, m, systems = grouped.get(label, ([], term, [], months, set(shared)))
            grouped[label] = (facts + [tsa], min(t, term), rules_facts + [rule], max(m, months), systems)
    out = []
    for label, (tsa_facts, term, rule_facts, months, systems) in sorted(grouped.items()):
        critical = bool(systems & {"ERP", "identity"}) and view.is_carve_out
        out.append(
            make_finding(
                "tsa_shorter_than_migration",
                domain=domain_for_systems(systems, "organization"),
                finding_type="risk",
                title=f"TSA term shorter than the buyer's migration timeline: {label}",
                description=(
                    f"The TSA covering {label} runs {term} months from completion, but the buyer's own integration "
                    f"rule allows {months} months to migrate it: the target would lose the service {months - term} months "
                    "before it can be moved."
                ),
                reasoning=f"TSA term {term} months ({quotes(tsa_facts)}) < buyer migration period {months} months ({quotes(rule_facts)}).",
                severity="critical" if critical else "high",
                phase="tsa",
                mitigation="Negotiate a TSA term (and extension options) that covers the buyer's migration plan, or accelerate the migration.",
                triggers=tsa_facts,
                supports=rule_facts,
                details={"tsa_months": term, "migration_months": months},
            )
        )
    return out
