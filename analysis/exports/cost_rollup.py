"""The cost roll-up sheet: reviewed costs of the (filtered) findings summed by domain and phase."""
from __future__ import annotations

from dealiq.domains import DOMAINS

from ..models import Phase
from ..services.reviewed_values import reviewed

PHASE_ORDER = [p.value for p in Phase]
PHASE_LABELS = dict(Phase.choices)


def cost_rollup_rows(findings) -> list[dict]:
    """One row per domain and phase holding a cost, in catalogue and phase order; one query."""
    sums: dict[tuple[str, str], dict] = {}
    for finding in findings.only("domain", "phase", "severity", "cost_low", "cost_high", "currency", "key", "deal_id", "run_id"):
        values = reviewed(finding)
        if values.cost_low is None and values.cost_high is None:
            continue
        row = sums.setdefault((finding.domain, values.phase), {"findings": 0, "low": 0, "high": 0, "currencies": set()})
        row["findings"] += 1
        row["low"] += values.cost_low or 0
        row["high"] += values.cost_high if values.cost_high is not None else (values.cost_low or 0)
        row["currencies"].add(finding.currency)
    rows = []
    for domain in DOMAINS:
        for phase in PHASE_ORDER:
            found = sums.get((domain.key, phase))
            if found:
                currencies = sorted(found.pop("currencies"))
                rows.append({
                    **found, "domain": domain.key, "domain_label": domain.label, "phase": phase,
                    "phase_label": PHASE_LABELS[phase], "currency": currencies[0] if len(currencies) == 1 else "mixed",
                })
    return rows
