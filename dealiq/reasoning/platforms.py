"""Platform by platform, target against buyer: the same platform (nothing to do here; versions are rated
by the lifecycle rule) or a different one (an integration work item). `comparison()` is the table
behind it, function → entity → platform → facts.
"""
from __future__ import annotations

import re

from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .view import DealView

# function: (label, cost item, measure for the quantity, phase, severity)
FUNCTIONS = {
    "erp": ("ERP", "erp_integration", None, "long_term", "high"),
    "email": ("email and collaboration", "email_integration", "mailbox_count", "100_day", "medium"),
    "identity_provider": ("identity provider / SSO", "identity_integration", "user_count", "100_day", "medium"),
    "directory": ("directory", "identity_integration", "user_count", "100_day", "medium"),
    "crm": ("CRM", "crm_integration", None, "long_term", "medium"),
    "hr": ("HR / payroll", "hr_integration", None, "long_term", "medium"),
    "edr": ("EDR", "edr_integration", "endpoint_count", "100_day", "low"),
    "siem": ("security monitoring", "siem_integration", None, "100_day", "low"),
}
# How a model may name a function in a fact's category.
_CATEGORY_FUNCTIONS = {
    "erp": "erp", "email": "email", "mail": "email", "identity_provider": "identity_provider", "sso": "identity_provider",
    "idp": "identity_provider", "directory": "directory", "crm": "crm", "hr": "hr", "hris": "hr", "payroll": "hr",
    "edr": "edr", "endpoint_protection": "edr", "siem": "siem",
}


def _function_platform(fact: FactRecord) -> tuple[str, str] | None:
    details = fact.details or {}
    function, platform = details.get("function"), details.get("platform")
    if function and platform:
        return str(function), str(platform)
    if details.get("rule"):
        return None
    function = _CATEGORY_FUNCTIONS.get(fact.category.lower())
    if not function:
        return None
    platform = details.get("platform") or details.get("product") or details.get("system") or details.get("vendor")
    if not platform:
        platform = fact.item.split(": ", 1)[-1]
    return function, re.sub(r"\s+", " ", str(platform)).strip()


def _base(platform: str) -> str:
    """"SAP ECC 6.0" and "SAP ECC" are the same platform; "Exchange Server (on-premises)" stays itself."""
    return re.sub(r"\s+\d[\w.]*$", "", platform.strip()).lower()


def comparison(view: DealView) -> dict[str, dict]:
    table: dict[str, dict[str, dict[str, list[FactRecord]]]] = {}
    for fact in view.of("target", "buyer"):
        found = _function_platform(fact)
        if found:
            function, platform = found
            table.setdefault(function, {}).setdefault(fact.entity, {}).setdefault(platform, []).append(fact)
    return table


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    out = []
    table = comparison(view)
    for function, (label, item, measure, phase, severity) in FUNCTIONS.items():
        sides = table.get(function, {})
        target, buyer = sides.get("target", {}), sides.get("buyer", {})
        if not target or not buyer:
            continue
        if {_base(p) for p in target} & {_base(p) for p in buyer}:
            continue  # same platform on both sides (versions are compared by the lifecycle rule)
        target_facts = [f for p in sorted(target) for f in target[p]]
        buyer_facts = [f for p in sorted(buyer) for f in buyer[p]]
        t_names, b_names = " and ".join(sorted(target)), " and ".join(sorted(buyer))
        sized = [f for f in view.of("target") if (f.details or {}).get("measure") == measure and isinstance(f.details.get("value"), int)] if measure else []
        values = [f.details["value"] for f in sized]
        estimate = rules.cost(item, min(values) if values else None, max(values) if values else None, basis=f"{measure} stated")
        out.append(
            make_finding(
                "platform_divergence",
                domain=target_facts[0].domain,
                finding_type="work_item",
                title=f"Integrate {label}: target on {t_names}, buyer on {b_names}",
                description=(
                    f"The target runs {t_names} for {label}; the buyer runs {b_names}. Moving the target onto the "
                    "buyer's platform is an integration work item."
                ),
                reasoning=f"Target documents name {t_names} ({quotes(target_facts)}); buyer documents name {b_names} ({quotes(buyer_facts)}); no platform is common to both.",
                severity=severity,
                phase=phase,
                mitigation="Decide the target state in the integration plan; keep both running with interfaces until the migration completes.",
                triggers=target_facts + buyer_facts,
                supports=sized,
                cost=(estimate.low, estimate.high) if estimate else None,
                currency=rules.costs.currency,
                details={"function": function, "comparison": "different", "target": sorted(target), "buyer": sorted(buyer),
                         "cost_assumptions": [estimate.as_assumption()] if estimate else []},
            )
        )
    return out

