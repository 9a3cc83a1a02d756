"""control_gap: a security or resilience control judged absent, partial or out of date.

Several statements about one control are combined per entity: "in place" somewhere and "not in place"
elsewhere means partial (typically MFA on VPN but not for administrators). A dated control (DR test,
penetration test) that is in place but older than `max_age_months` counts as out of date.
"""
from __future__ import annotations

import datetime as dt
import re

from ....eol.catalogue import months_between
from ....rules.lexicon import ABSENT, PARTIAL, PRESENT
from ....schemas import FactRecord
from .context import ReasoningContext, Subject

OUTDATED = "outdated"
_CERTIFICATIONS = re.compile(
    r"\bISO(?:/IEC)? ?27001\b|\bSOC ?2\b|\bSOC ?1\b|\bHITRUST\b|\bPCI[- ]DSS\b|\bCyber Essentials\b|\bTISAX\b|\bFedRAMP\b|\bISO(?:/IEC)? ?27701\b",
    re.IGNORECASE,
)


def certifications_named(text: str | None) -> set[str]:
    return {re.sub(r"[^a-z0-9]", "", m.group(0).lower()).replace("iec", "") for m in _CERTIFICATIONS.finditer(text or "")}
STATUS_WORDS = {ABSENT: "missing", PARTIAL: "incomplete", OUTDATED: "out of date"}
STATUS_LABELS = {ABSENT: "not in place", PARTIAL: "partial coverage", OUTDATED: "out of date", PRESENT: "in place"}


def combined_status(statuses: set[str]) -> str:
    if ABSENT in statuses and (PRESENT in statuses or PARTIAL in statuses):
        return PARTIAL
    if ABSENT in statuses:
        return ABSENT
    if PARTIAL in statuses:
        return PARTIAL
    return PRESENT


def _latest_date(facts: list[FactRecord]) -> dt.date | None:
    dates = []
    for fact in facts:
        value = (fact.details or {}).get("last_date")
        try:
            dates.append(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return max(dates) if dates else None


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    control = rule["control"]
    controls = set(control) if isinstance(control, list) else {control}  # several controls read as one risk
    group_by = rule.get("group_by")
    groups: dict[tuple[str, str], list[FactRecord]] = {}
    for fact in ctx.facts_for(rule.get("entities") or ["target"]):
        details = fact.details or {}
        if details.get("control") not in controls or details.get("status") not in (PRESENT, PARTIAL, ABSENT):
            continue
        if control == "certification" and details["status"] == PRESENT and len(certifications_named(fact.evidence)) > 1:
            continue  # "Do you hold HITRUST, SOC 2 or ISO 27001? Yes" is no claim about any one of them
        group = str(details.get(group_by, "")) if group_by else ""
        groups.setdefault((fact.entity, group), []).append(fact)

    # The buyer runs the control and the deal moves the target onto it (the deal layer's onboarding work
    # item): the target's own gap is that work item, not a second finding.
    buyer_has = rule.get("unless_buyer_present") and any(
        (f.details or {}).get("control") in controls and (f.details or {}).get("status") == PRESENT for f in ctx.facts_for(["buyer"])
    )
    found = []
    for (entity, group), facts in sorted(groups.items()):
        if buyer_has and entity == "target":
            continue
        status = combined_status({f.details["status"] for f in facts})
        age_text = ""
        if status == PRESENT and rule.get("max_age_months"):
            latest = _latest_date(facts)
            if latest is not None:
                age = months_between(latest, ctx.reference_date)
                age_text = f" (last on {latest.isoformat()}, {age} months before the reference date)"
                if age > int(rule["max_age_months"]):
                    status = OUTDATED
        if status not in (rule.get("statuses") or [ABSENT, PARTIAL]):
            continue
        triggering = [f for f in facts if f.details["status"] != PRESENT] or facts
        coverage = [f.details["coverage_pct"] for f in facts if isinstance(f.details.get("coverage_pct"), (int, float))]
        vars_ = {
            "label": rule.get("label", "/".join(sorted(controls))),
            "group": group,
            "status": status,
            "status_word": STATUS_WORDS.get(status, status),
            "status_label": STATUS_LABELS[status],
            "coverage_text": f" (stated coverage {min(coverage):g}%)" if coverage else "",
            "age_text": age_text,
        }
        if coverage:
            vars_["coverage_pct"] = min(coverage)
        found.append(
            Subject(
                entity=entity,
                facts=triggering,
                supporting=[f for f in facts if f not in triggering],
                vars=vars_,
                flags={status},
            )
        )
    return found
