"""The reasoning step: finding rules (dealiq/rules/findings.yaml) run over one domain's facts.

Each rule names a family (`kind`); the family finds subjects in the facts, and `context.emit` writes the
rule's findings for each subject. Output order follows the rule file and each family's sorted subjects,
so the same facts always give the same findings in the same order; findings that come out with the
same key (same domain, type and title) are merged, their links combined.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from ....rules import RuleError, load
from ....schemas import DEAL_TYPES, FactLink, FindingItem
from ..products import ProductRules
from . import contracts, contradictions, controls, eol, integration, network_overlap, presence, separation
from .context import ReasoningContext, Subject, emit

Family = Callable[[dict, ReasoningContext], list[Subject]]

_KNOWN_KEYS = {
    "id", "kind", "domains", "entities", "deal_types", "emit", "note",
    # family parameters
    "status", "horizon_months", "control", "label", "statuses", "max_age_months", "group_by", "assets",
    "category", "when_details", "unless_details", "subject_from", "window_months", "functions", "labels",
    "unless_buyer_present",
}


def families(products: ProductRules) -> dict[str, Family]:
    return {
        "end_of_life": lambda rule, ctx: eol.subjects(rule, ctx, products),
        "control_gap": controls.subjects,
        "shared_asset": separation.subjects,
        "fact_present": presence.subjects,
        "contract_window": contracts.subjects,
        "platform_divergence": integration.subjects,
        "contradiction": contradictions.subjects,
        "ip_overlap": network_overlap.subjects,
    }


@lru_cache(maxsize=8)
def load_finding_rules(rules_dir: str | None = None) -> tuple[dict, ...]:
    data = load("findings.yaml", rules_dir)
    kinds = set(families(ProductRules.load(rules_dir)))
    rules, seen = [], set()
    for raw in data.get("rules") or []:
        where = f"findings.yaml rule {raw.get('id')!r}"
        if not raw.get("id") or raw["id"] in seen:
            raise RuleError(f"{where}: missing or duplicate id")
        seen.add(raw["id"])
        if raw.get("kind") not in kinds:
            raise RuleError(f"{where}: kind must be one of {sorted(kinds)}")
        unknown = set(raw) - _KNOWN_KEYS
        if unknown:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
        if set(raw.get("deal_types") or ()) - set(DEAL_TYPES):
            raise RuleError(f"{where}: deal_types must be among {DEAL_TYPES}")
        if not raw.get("emit"):
            raise RuleError(f"{where}: nothing to emit")
        rules.append(raw)
    return tuple(rules)


def run_rules(ctx: ReasoningContext, rules: tuple[dict, ...], products: ProductRules) -> list[FindingItem]:
    by_kind = families(products)
    merged: dict[str, FindingItem] = {}
    for rule in rules:
        if rule.get("domains") and ctx.domain not in rule["domains"]:
            continue
        if rule.get("deal_types") and ctx.deal.deal_type not in rule["deal_types"]:
            continue
        for subject in by_kind[rule["kind"]](rule, ctx):
            for finding in emit(rule, subject, ctx):
                _merge(merged, finding)
    return list(merged.values())


def _merge(merged: dict[str, FindingItem], finding: FindingItem) -> None:
    existing = merged.get(finding.key)
    if existing is None:
        merged[finding.key] = finding
        return
    known = {link.fact_key for link in existing.links}
    existing.links.extend(FactLink(l.fact_key, l.link_type) for l in finding.links if l.fact_key not in known)
    existing.details["fact_keys"] = [link.fact_key for link in existing.links]


__all__ = ["ReasoningContext", "load_finding_rules", "run_rules"]
