"""fact_present: a finding for every fact of a category (key person, incident, change-of-control clause...).

`when_details` / `unless_details` filter on the fact's details (e.g. an incident rule that skips
"no incidents reported" facts); `subject_from` lists the detail keys that name the subject in the
title (default person, then party; else the fact's item after its label).
"""
from __future__ import annotations

from .context import ReasoningContext, Subject, subject_name


def _matches(details: dict, wanted: dict | None) -> bool:
    return all(details.get(k) == v for k, v in (wanted or {}).items())


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    found = []
    for fact in ctx.facts_for(rule.get("entities") or ["target"]):
        details = fact.details or {}
        if fact.category != rule["category"]:
            continue
        if not _matches(details, rule.get("when_details")):
            continue
        if rule.get("unless_details") and _matches(details, rule["unless_details"]):
            continue
        keys = rule.get("subject_from") or ["person", "party"]
        name = next((str(details[k]) for k in keys if details.get(k)), None) or subject_name(fact)
        found.append(Subject(entity=fact.entity, facts=[fact], vars={"subject": name}))
    return found
