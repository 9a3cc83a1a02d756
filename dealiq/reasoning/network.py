"""Address space: target and buyer ranges that overlap (ipaddress), read from any fact of either side
that states a CIDR, whatever its domain or detail names."""
from __future__ import annotations

from ..schemas import FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .view import DealView, networks_in


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    target = [(n, f) for f in view.of("target") for n in networks_in(f)]
    buyer = [(n, f) for f in view.of("buyer") for n in networks_in(f)]
    pairs = sorted(
        {(str(t), str(b)): (tf, bf) for t, tf in target for b, bf in buyer if t.version == b.version and t.overlaps(b)}.items()
    )
    if not pairs:
        return []
    target_facts, buyer_facts = [], []
    for _, (tf, bf) in pairs:
        target_facts += [tf] if tf not in target_facts else []
        buyer_facts += [bf] if bf not in buyer_facts else []
    overlaps = "; ".join(f"target {t} overlaps buyer {b}" for (t, b), _ in pairs[:6])
    sites = [f for f in view.of("target") if (f.details or {}).get("measure") == "site_count" and isinstance(f.details.get("value"), int)]
    estimate = rules.cost("ip_readdressing", max((f.details["value"] for f in sites), default=None), basis="site count stated")
    common = {"triggers": target_facts + buyer_facts, "details": {"overlaps": [list(k) for k, _ in pairs]}}
    risk = make_finding(
        "address_overlap",
        domain="network",
        finding_type="risk",
        title="Overlapping IP address ranges between target and buyer",
        description=(
            f"Target and buyer use overlapping address space ({overlaps}); the networks cannot be routed together "
            "until one side is re-addressed or NATed, which blocks a plain Day-1 interconnect and shared services."
        ),
        reasoning=f"Target range(s) {quotes(target_facts)} and buyer range(s) {quotes(buyer_facts)} overlap: {overlaps}.",
        severity="high",
        phase="day_1",
        mitigation="Agree NAT at the interconnect for Day 1; re-address the smaller estate (see the work item).",
        **common,
    )
    work = make_finding(
        "address_overlap",
        domain="network",
        finding_type="work_item",
        title="Resolve overlapping IP ranges between target and buyer",
        description=f"NAT at the interconnect for Day 1, then re-address the overlapping ranges ({overlaps}).",
        reasoning=f"The ranges overlap ({overlaps}); priced per site from the cost model.",
        severity="high",
        phase="day_1",
        mitigation="Re-address the smaller estate site by site; keep NAT until the last site is done.",
        supports=sites,
        cost=(estimate.low, estimate.high) if estimate else None,
        currency=rules.costs.currency,
        **{**common, "details": {**common["details"], "cost_assumptions": [estimate.as_assumption()] if estimate else []}},
    )
    return [risk, work]
