"""shared_asset: what a carve-out unit borrows from its parent (directory, ERP, network, hosting...).

One subject per asset kind; the rule's `assets` table names each asset's TSA and separation cost items,
the measure that sizes the separation (users, sites, servers) and its phase.
"""
from __future__ import annotations

from ....schemas import FactRecord
from .context import ReasoningContext, Subject


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    assets: dict = rule.get("assets") or {}
    groups: dict[tuple[str, str], list[FactRecord]] = {}
    for fact in ctx.facts_for(rule.get("entities") or ["target"]):
        details = fact.details or {}
        asset = details.get("asset")
        if details.get("shared_with_seller") and asset in assets:
            groups.setdefault((fact.entity, asset), []).append(fact)

    found = []
    for asset_id in assets:  # the order of the rule's table, so findings come out in a stable order
        for (entity, asset), facts in sorted(groups.items()):
            if asset != asset_id:
                continue
            config = assets[asset]
            found.append(
                Subject(
                    entity=entity,
                    facts=facts,
                    vars={
                        "asset": asset,
                        "asset_label": config.get("label", asset.replace("_", " ")),
                        "tsa_item": config.get("tsa", ""),
                        "separation_item": config.get("separation", ""),
                        "separation_phase": config.get("phase", "tsa"),
                        "quantity_driver": config.get("quantity", ""),
                    },
                )
            )
    return found
