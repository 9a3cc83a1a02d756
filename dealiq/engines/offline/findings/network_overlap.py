"""ip_overlap: target and buyer address ranges that overlap, so the networks cannot simply be joined."""
from __future__ import annotations

import ipaddress

from ....schemas import FactRecord
from .context import ReasoningContext, Subject


def _networks(facts: list[FactRecord]) -> list[tuple[ipaddress.IPv4Network, FactRecord]]:
    out = []
    for fact in facts:
        try:
            out.append((ipaddress.ip_network((fact.details or {}).get("cidr", ""), strict=False), fact))
        except ValueError:
            continue
    return out


def subjects(rule: dict, ctx: ReasoningContext) -> list[Subject]:
    ranges = [f for f in ctx.facts_for(["target", "buyer"]) if f.category == "ip_addressing"]
    target = _networks([f for f in ranges if f.entity == "target"])
    buyer = _networks([f for f in ranges if f.entity == "buyer"])
    pairs = [(t, b) for t in target for b in buyer if t[0].overlaps(b[0])]
    if not pairs:
        return []
    facts: list[FactRecord] = []
    for (_, t_fact), (_, b_fact) in pairs:
        for fact in (t_fact, b_fact):
            if fact not in facts:
                facts.append(fact)
    overlaps = "; ".join(f"target {t} overlaps buyer {b}" for (t, _), (b, _) in pairs[:5])
    return [Subject(entity="target", facts=facts, vars={"overlaps": overlaps})]
