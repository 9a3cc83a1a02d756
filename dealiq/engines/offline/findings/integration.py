"""platform_divergence: target and buyer run different platforms for the same function (ERP, email,
identity provider...), which makes moving the target onto the buyer's platform an integration item.

A function fires only when both sides name at least one platform for it and no platform is common to
both: a buyer that says nothing about its CRM is not evidence of a different CRM.
"""
from __future__ import annotations

from ....schemas import FactRecord
from .context import ReasoningContext, Subject, quotes


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    functions: dict = rule.get("functions") or {}
    platforms: dict[tuple[str, str], dict[str, list[FactRecord]]] = {}
    for fact in ctx.facts_for(["target", "buyer"]):
        details = fact.details or {}
        function, platform = details.get("function"), details.get("platform")
        if function in functions and platform:
            platforms.setdefault((function, fact.entity), {}).setdefault(str(platform), []).append(fact)

    found = []
    for function, config in functions.items():
        target = platforms.get((function, "target"), {})
        buyer = platforms.get((function, "buyer"), {})
        if not target or not buyer or set(target) & set(buyer):
            continue
        target_facts = [f for name in sorted(target) for f in target[name]]
        buyer_facts = [f for name in sorted(buyer) for f in buyer[name]]
        found.append(
            Subject(
                entity="target",
                facts=target_facts + buyer_facts,
                vars={
                    "function": function,
                    "function_label": config.get("label", function),
                    "function_item": config.get("item", ""),
                    "function_quantity": config.get("quantity", ""),
                    "function_phase": config.get("phase", "100_day"),
                    "function_severity": config.get("severity", "medium"),
                    "target_platforms": " and ".join(sorted(target)),
                    "buyer_platforms": " and ".join(sorted(buyer)),
                    "target_quotes": quotes(target_facts),
                    "buyer_quotes": quotes(buyer_facts),
                },
            )
        )
    return found
