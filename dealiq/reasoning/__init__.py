"""The deal-level reasoning layer: rules over a run's facts of both entities and all domains.

Every engine's run goes through it after discovery (the offline runner calls it after the domain
steps; the pipeline calls it at finalize, once every domain is done), so facts extracted by a model get
the same date arithmetic, address-overlap, platform, separation, contradiction and consolidation
rules as the offline engine's. Pure Python, no Django, no clock (dates come from the deal's reference
date): the same facts always give the same findings, in the same order, with the same keys.

    findings = reason_deal(deal, facts, gaps)

Each rule is a function `(DealView, Rules) -> list[FindingItem]` listed in RULES; see docs/engine.md.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from ..schemas import DealContext, FactLink, FactRecord, FindingItem, GapRecord
from . import (
    contradictions,
    custom_tech,
    dates,
    gates,
    hygiene,
    lifecycle,
    network,
    people,
    platforms,
    security_tests,
    separation,
    sites,
)
from .context import Rules
from .view import DealView

Rule = Callable[[DealView, Rules], list[FindingItem]]

# Order matters once: custom_technology marks the runtimes it reports, which lifecycle then leaves out.
RULES: tuple[tuple[str, Rule], ...] = (
    ("custom_technology", custom_tech.findings),
    ("lifecycle", lifecycle.findings),
    ("contracts", dates.contract_findings),
    ("tsa_terms", dates.tsa_findings),
    ("licence_transfer", dates.transfer_findings),
    ("address_overlap", network.findings),
    ("site_connectivity", sites.findings),
    ("platforms", platforms.findings),
    ("buyer_gates", gates.findings),
    ("buyer_timelines", gates.timeline_findings),
    ("security_practices", hygiene.findings),
    ("security_tests", security_tests.findings),
    ("separation", separation.findings),
    ("contradictions", contradictions.findings),
    ("key_people", people.findings),
    ("it_leadership", people.leadership_findings),
)


def reason_deal(
    deal: DealContext,
    facts: Iterable[FactRecord],
    gaps: Iterable[GapRecord] = (),
    *,
    domains: Iterable[str] | None = None,
    rules_dir: str | None = None,
) -> list[FindingItem]:
    """The deal-level findings for a run's facts (both entities, all domains). `domains` keeps only
    findings in the run's domains. Findings with the same key are merged, their links combined."""
    view = DealView(deal, list(facts), list(gaps))
    rules = Rules.load(rules_dir)
    wanted = set(domains) if domains is not None else None
    known = {f.key for f in view.facts}
    merged: dict[str, FindingItem] = {}
    for _, rule in RULES:
        for finding in rule(view, rules):
            finding.links = [link for link in finding.links if link.fact_key in known]
            if not finding.links or (wanted is not None and finding.domain not in wanted):
                continue
            existing = merged.get(finding.key)
            if existing is None:
                merged[finding.key] = finding
                continue
            seen = {l.fact_key for l in existing.links}
            existing.links.extend(FactLink(l.fact_key, l.link_type) for l in finding.links if l.fact_key not in seen)
            existing.details["fact_keys"] = [l.fact_key for l in existing.links]
    return list(merged.values())


def combine(engine_findings: Iterable[FindingItem], deal_findings: Iterable[FindingItem]) -> list[FindingItem]:
    """An engine's per-domain findings plus the layer's: a layer finding replaces an engine finding with
    the same key (what the pipeline's upsert does too)."""
    layer = {f.key: f for f in deal_findings}
    kept = [f for f in engine_findings if f.key not in layer]
    return kept + list(layer.values())


__all__ = ["RULES", "DealView", "Rules", "combine", "reason_deal"]
