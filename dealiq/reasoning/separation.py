"""Carve-out dependencies on the seller: what the unit borrows from its parent (ERP instance, tenant,
forest, licences, network, hosting, services under a TSA). One risk and one separation work item per
asset; a shared ERP or identity estate with no separation plan in the data room is critical.
"""
from __future__ import annotations

import re

from ..rules.lexicon import get_lexicon
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .systems import systems_in
from .view import DealView

# asset: (label, domain, TSA cost item, separation cost item, measure sizing it, work-item phase)
ASSETS = {
    "erp_instance": ("ERP instance", "applications", "tsa_erp", "erp_separation", None, "tsa"),
    "active_directory": ("Active Directory forest", "identity_access", "tsa_identity", "directory_separation", "user_count", "tsa"),
    "m365_tenant": ("Microsoft 365 / Entra ID tenant", "identity_access", "tsa_identity", "identity_separation", "user_count", "tsa"),
    "business_apps": ("shared business applications", "applications", "tsa_business_apps", "business_apps_separation", None, "tsa"),
    "licences": ("software licences", "applications", "tsa_licences", "licence_transfer", None, "day_1"),
    "network": ("WAN and network services", "network", "tsa_network", "network_separation", "site_count", "tsa"),
    "hosting": ("data centre and hosting", "infrastructure", "tsa_hosting", "hosting_separation", "server_total", "tsa"),
    "it_services": ("IT support services", "organization", "tsa_it_services", "it_services_separation", None, "tsa"),
    "security_operations": ("security operations", "cybersecurity", "tsa_security_operations", "security_operations_separation", None, "tsa"),
}
CRITICAL_WITHOUT_PLAN = {"erp_instance", "active_directory", "m365_tenant"}
IDENTITY_ASSETS = {"active_directory", "m365_tenant"}
# the buyer's own directory or tenant, named as such ("one AD forest (corp.example)", "our Entra ID tenant")
_BUYER_IDENTITY = re.compile(r"\b(?:forest|tenant|Entra(?: ID)?|Azure AD|Active Directory|Microsoft 365|Office 365|M365)\b", re.IGNORECASE)
_FOREST = re.compile(r"Active Directory|\bAD\b|forest|domain controller", re.IGNORECASE)
_TENANT = re.compile(r"tenant|Microsoft 365|Office 365|\bM365\b|\bO365\b|Entra|Azure AD|Exchange Online", re.IGNORECASE)
_PLAN = re.compile(r"\b(?:separation|stand-?alone|carve-?out|exit|disentanglement|migration) (?:plan|roadmap|approach|blueprint|programme|program)\b", re.IGNORECASE)
_NO_PLAN = re.compile(r"\b(?:no|not|none|tbd|to be (?:defined|provided|agreed|confirmed)|not yet|missing|pending|outstanding)\b", re.IGNORECASE)
_SELLER = re.compile(r"\b(?:seller|parent|group|corporate|headquarters|former owner)\b|\bTSA\b|transitional service", re.IGNORECASE)


def asset_of(view: DealView, fact: FactRecord) -> str | None:
    details = fact.details or {}
    if details.get("shared_with_seller") and details.get("asset") in ASSETS:
        return details["asset"]
    if details.get("rule"):
        return None  # the offline engine already said which of its facts are shared
    text = view.text(fact)
    if not (_shared_pattern().search(text) and _SELLER.search(text)):
        return None
    systems = systems_in(text)
    if "ERP" in systems:
        return "erp_instance"
    if "identity" in systems or "email" in systems:
        return "active_directory" if _FOREST.search(text) and not _TENANT.search(text) else "m365_tenant"
    for system, asset in (("licences", "licences"), ("network", "network"), ("hosting", "hosting"),
                          ("service desk", "it_services"), ("security operations", "security_operations"),
                          ("HR / payroll", "business_apps"), ("CRM", "business_apps")):
        if system in systems:
            return asset
    return None


def _shared_pattern() -> re.Pattern:
    return get_lexicon(None).compile("{SHARED}|\\bTSA\\b|transitional service", "deal reasoning: shared with the seller")


def has_separation_plan(view: DealView) -> bool:
    for fact in view.of("target"):
        text = view.text(fact)
        if _PLAN.search(text) and not _NO_PLAN.search(text):
            return True
    return False


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    if not view.is_carve_out:
        return []
    groups: dict[str, list[FactRecord]] = {}
    for fact in view.of("target"):
        asset = asset_of(view, fact)
        if asset:
            groups.setdefault(asset, []).append(fact)
    planned = has_separation_plan(view)
    out = []
    for asset, (label, domain, tsa_item, separation_item, measure, phase) in ASSETS.items():
        facts = groups.get(asset)
        if not facts:
            continue
        critical = asset in CRITICAL_WITHOUT_PLAN and not planned
        plan_text = "" if planned else " The data room contains no separation plan for it."
        out.append(
            make_finding(
                "seller_dependency",
                domain=domain,
                finding_type="risk",
                title=f"Day-1 dependency on the seller: {label}",
                description=(
                    f"In this carve-out the target runs on the seller's {label} ({quotes(facts)}). It must keep working "
                    f"at completion, so it needs a TSA and a separation plan.{plan_text}"
                ),
                reasoning=f"The documents say the {label} is shared with or held by the seller ({quotes(facts)}); whatever a carve-out borrows from its parent must be covered on Day 1.",
                severity="critical" if critical else "high",
                phase="day_1",
                mitigation="Name the service in the TSA schedules with SLA, price, term and extension terms; start separation planning before signing.",
                triggers=facts,
                details={"asset": asset, "separation_plan": planned},
            )
        )
        # In a sale to a buyer with its own directory / tenant the exit from the seller's is a migration
        # into the buyer's (tenant-to-tenant, forest to forest), not a stand-alone rebuild.
        destination = [f for f in view.of("buyer") if asset in IDENTITY_ASSETS and _BUYER_IDENTITY.search(view.text(f))
                       and f.category != "integration_rule"]
        # the buyer's platform facts first (a directory, an identity provider), then any statement naming one
        destination.sort(key=lambda f: (f.details or {}).get("function") not in {"directory", "identity_provider", "email"})
        if destination:
            what = (
                f"Cover the {label} with a TSA from completion, then migrate the target's user accounts, groups, devices "
                f"and mailboxes from the seller's forest and tenant into the buyer's ({quotes(destination[:2])}): "
                "a tenant-to-tenant and directory migration, after which the TSA is exited."
            )
        else:
            what = f"Cover the {label} with a TSA from completion, stand up the target's own and exit the TSA."
        sized = [f for f in view.of("target") if measure and (f.details or {}).get("measure") == measure and isinstance(f.details.get("value"), int)]
        values = [f.details["value"] for f in sized]
        estimates = [e for e in (rules.cost(tsa_item), rules.cost(separation_item, min(values) if values else None, max(values) if values else None)) if e]
        cost = (sum(e.low for e in estimates), sum(e.high for e in estimates)) if estimates else None
        out.append(
            make_finding(
                "seller_separation",
                domain=domain,
                finding_type="work_item",
                title=f"Separate the {label} from the seller",
                description=(
                    what
                    + (f" Estimated {rules.costs.currency} {cost[0]:,}–{cost[1]:,} (TSA fees and separation)." if cost else "")
                ),
                reasoning=f"The {label} is shared with the seller ({quotes(facts)}); priced from the cost model (TSA fee plus separation).",
                severity="critical" if critical else "high",
                phase=phase,
                mitigation="Sequence with the other separation items (identity, network and hosting move together).",
                triggers=facts,
                supports=sized + destination[:2],
                cost=cost,
                currency=rules.costs.currency,
                details={"asset": asset, "cost_assumptions": [e.as_assumption() for e in estimates]},
            )
        )
    return out
