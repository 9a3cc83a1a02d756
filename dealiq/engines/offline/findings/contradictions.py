"""contradiction: two documents give different numbers for the same measure (server count, IT FTE...).

The conflict is reported, never resolved silently: a recommendation links every conflicting fact with
a `contradicts` link, and cost estimates that depend on the measure use the whole range.
"""
from __future__ import annotations

from ....schemas import FactRecord
from .context import ReasoningContext, Subject, source_of


def measure_label(measure: str, facts: list[FactRecord], labels: dict) -> str:
    if measure in labels:
        return labels[measure]
    if measure.startswith("count:"):
        release = (facts[0].details or {}).get("release") or measure.split(":", 2)[1]
        return f"{release} count"
    return measure.split(":", 1)[-1].replace("_", " ")


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    groups: dict[tuple[str, str], list[FactRecord]] = {}
    for fact in ctx.facts_for(rule.get("entities") or ["target", "buyer"]):
        details = fact.details or {}
        if details.get("measure") and isinstance(details.get("value"), int):
            groups.setdefault((fact.entity, details["measure"]), []).append(fact)

    found = []
    for (entity, measure), facts in sorted(groups.items()):
        values = sorted({f.details["value"] for f in facts})
        if len(values) < 2:
            continue
        facts = sorted(facts, key=lambda f: (f.details["value"], f.key))
        values_text = ", ".join(f"{f.details['value']:,} ({source_of(f)})" for f in facts)
        found.append(
            Subject(
                entity=entity,
                facts=facts,
                link_type="contradicts",
                vars={
                    "measure": measure,
                    "measure_label": measure_label(measure, facts, rule.get("labels") or {}),
                    "values_text": values_text,
                },
            )
        )
    return found
