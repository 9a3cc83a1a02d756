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

# function: (label, cost item, measure for the quantity, phase, severity, finding type in a merger). Core
# platforms (ERP, e-mail, identity, hosting) are integration work; a second CRM, HR or contact-centre
# system is a consolidation decision between equals. In an acquisition or carve-out the buyer's platform
# is the destination, so every difference is a migration work item.
FUNCTIONS = {
    "erp": ("ERP", "erp_integration", None, "long_term", "high", "work_item"),
    "email": ("email and collaboration", "email_integration", "mailbox_count", "100_day", "medium", "work_item"),
    "identity_provider": ("identity provider / SSO", "identity_integration", "user_count", "100_day", "medium", "work_item"),
    "directory": ("directory", "identity_integration", "user_count", "100_day", "medium", "work_item"),
    "virtualisation": ("virtualisation / hosting platform", "virtualisation_migration", None, "long_term", "high", "work_item"),
    "wms": ("warehouse management (WMS)", "wms_integration", None, "long_term", "high", "work_item"),
    "crm": ("CRM", "crm_integration", None, "long_term", "medium", "recommendation"),
    "hr": ("HR / payroll", "hr_integration", None, "long_term", "medium", "recommendation"),
    "contact_centre": ("contact centre", "contact_centre_integration", None, "long_term", "medium", "recommendation"),
}
# The buyer's security tooling the target is onboarded onto, whatever the target runs today.
SECURITY_FUNCTIONS = {"siem": "security monitoring (SIEM / SOC)", "edr": "EDR"}
# How a model may name a function in a fact's category.
_CATEGORY_FUNCTIONS = {
    "erp": "erp", "email": "email", "mail": "email", "identity_provider": "identity_provider", "sso": "identity_provider",
    "idp": "identity_provider", "directory": "directory", "crm": "crm", "hr": "hr", "hris": "hr", "payroll": "hr",
    "edr": "edr", "endpoint_protection": "edr", "siem": "siem", "virtualisation": "virtualisation",
    "virtualization": "virtualisation", "wms": "wms", "contact_center": "contact_centre", "contact_centre": "contact_centre",
}
# Catalogue products that are a function's platform (a suite licence names the e-mail platform).
_PRODUCT_FUNCTIONS = {"microsoft-365": ("email", "Microsoft 365"), "google-workspace": ("email", "Google Workspace")}
# An inventory or register row: "Application: X; …; Business function: Y" (any column names of that kind).
_ROW_NAME = re.compile(r"\b(?:application|app name|system|product)\s*:\s*([^;|\n]{2,60})", re.IGNORECASE)
_ROW_FUNCTION = re.compile(r"\b(?:business function|capability|function|purpose|used for)\s*:\s*([^;|\n]{2,80})", re.IGNORECASE)
_FUNCTION_WORDS = (
    ("erp", re.compile(r"\bERP\b|general ledger|\baccounting\b|\bfinance\b", re.IGNORECASE)),
    ("hr", re.compile(r"\bHR\b|\bHCM\b|payroll|human resources", re.IGNORECASE)),
    ("crm", re.compile(r"\bCRM\b|customer relationship|sales force automation", re.IGNORECASE)),
    ("wms", re.compile(r"\bWMS\b|warehouse management", re.IGNORECASE)),
    ("contact_centre", re.compile(r"contact cent(?:er|re)|call cent(?:er|re)", re.IGNORECASE)),
    ("email", re.compile(r"\be-?mail\b", re.IGNORECASE)),
)
# "retire Okta and Google Workspace", "migrate away from X": the platforms named after these words are
# being left, not the entity's platform.
_LEAVING = re.compile(r"\b(?:retire[sd]?|retiring|decommission\w*|sunset\w*|phas(?:e|ed|ing) out|replac(?:e|ed|ing)|migrat\w* (?:away )?from|moved? (?:away )?from)\b", re.IGNORECASE)
_GENERIC_WORDS = {"microsoft", "the", "and", "platform", "premises", "cloud", "suite", "for", "with"}


def _named_in_evidence(platform: str, evidence: str) -> bool:
    """A platform detail the evidence does not name (most of its distinctive words missing) is a misreading:
    "Dynamics 365" read from a line about "Dynamics AX 2012"."""
    if not evidence:
        return True
    name = re.sub(r"\([^)]*\)", " ", platform).lower()  # "AD FS (on-premises federation)": the parenthesis describes
    words = {w for w in re.findall(r"[a-z0-9]{2,}", name) if w not in _GENERIC_WORDS}
    text = evidence.lower()
    return not words or 2 * sum(w in text for w in words) > len(words)


def _being_left(platform: str, evidence: str) -> bool:
    match = _LEAVING.search(evidence or "")
    if not match:
        return False
    head = platform.split()[0].lower() if platform.split() else ""
    return bool(head) and head in evidence[match.end():].lower() and head not in evidence[:match.start()].lower()


def _row_platform(fact: FactRecord) -> tuple[str, str] | None:
    """The function and application of an inventory row quoted as a fact's evidence."""
    evidence = fact.evidence or ""
    name, purpose = _ROW_NAME.search(evidence), _ROW_FUNCTION.search(evidence)
    if not name or not purpose:
        return None
    function = next((fn for fn, pattern in _FUNCTION_WORDS if pattern.search(purpose.group(1))), None)
    return (function, re.sub(r"\s+", " ", name.group(1)).strip()) if function else None


def _function_platform(fact: FactRecord) -> tuple[str, str] | None:
    found = _stated_function_platform(fact)
    if found and (not _named_in_evidence(found[1], fact.evidence) or _being_left(found[1], fact.evidence)):
        return None
    return found


def _stated_function_platform(fact: FactRecord) -> tuple[str, str] | None:
    details = fact.details or {}
    function, platform = details.get("function"), details.get("platform")
    if function and platform:
        return str(function), str(platform)
    if details.get("product") in _PRODUCT_FUNCTIONS:
        return _PRODUCT_FUNCTIONS[details["product"]]
    if row := _row_platform(fact):
        return row
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
    # a trailing version or licence edition ("… 2016", "… E3") is not a different platform
    return re.sub(r"(?:\s+(?:\d[\w.]*|[A-Z]\d|SP\d|R\d))+$", "", platform.strip()).lower()


def _distinct(names) -> list[str]:
    """Platform names once: "Exchange Server (on-premises)" read from a second document is "Exchange Server"."""
    names = sorted(names)
    return [n for n in names if not any(o != n and n.lower().startswith(o.lower() + " ") for o in names)]


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
    acquired = view.deal.deal_type != "merger"  # the buyer's platform is the destination
    for function, (label, item, measure, phase, severity, finding_type) in FUNCTIONS.items():
        if acquired:
            finding_type = "work_item"
        sides = table.get(function, {})
        target, buyer = sides.get("target", {}), sides.get("buyer", {})
        if not target or not buyer:
            continue
        if {_base(p) for p in target} & {_base(p) for p in buyer}:
            continue  # same platform on both sides (versions are compared by the lifecycle rule)
        target_facts = [f for p in sorted(target) for f in target[p]]
        buyer_facts = [f for p in sorted(buyer) for f in buyer[p]]
        t_names, b_names = " and ".join(_distinct(target)), " and ".join(_distinct(buyer))
        sized = [f for f in view.of("target") if (f.details or {}).get("measure") == measure and isinstance(f.details.get("value"), int)] if measure else []
        values = [f.details["value"] for f in sized]
        estimate = rules.cost(item, min(values) if values else None, max(values) if values else None, basis=f"{measure} stated")
        out.append(
            make_finding(
                "platform_divergence",
                domain=_domain(function, target_facts),
                finding_type=finding_type,
                title=(f"Integrate {label}" if finding_type == "work_item" else f"Decide on one {label}")
                + f": target on {t_names}, buyer on {b_names}",
                description=(
                    f"The target runs {t_names} for {label}; the buyer runs {b_names}. "
                    + ("Moving the target onto the buyer's platform is an integration work item."
                       if finding_type == "work_item" else
                       "Running both duplicates licences and support; the combined company should decide which one it keeps.")
                ),
                reasoning=f"Target documents name {t_names} ({quotes(target_facts)}); buyer documents name {b_names} ({quotes(buyer_facts)}); no platform is common to both.",
                severity=severity,
                phase=phase,
                mitigation="Decide the target state in the integration plan; keep both running with interfaces until the migration completes.",
                triggers=target_facts + buyer_facts,
                supports=sized,
                cost=(estimate.low, estimate.high) if estimate and finding_type == "work_item" else None,
                currency=rules.costs.currency,
                details={"function": function, "comparison": "different", "target": sorted(target), "buyer": sorted(buyer),
                         "cost_assumptions": [estimate.as_assumption()] if estimate else []},
            )
        )
    out.extend(_security_onboarding(view, rules, table))
    return out


def _domain(function: str, facts: list[FactRecord]) -> str:
    """Where the comparison belongs: a business application's row may sit in a contract register."""
    if function == "virtualisation":
        return "infrastructure"
    if function in ("identity_provider", "directory"):
        return "identity_access"
    if function in ("erp", "email", "crm", "hr", "wms", "contact_centre"):
        return "applications"
    return facts[0].domain


def _security_onboarding(view: DealView, rules: Rules, table) -> list[FindingItem]:
    if view.deal.deal_type == "carve_out" and not table.get("siem", {}).get("buyer"):
        return []
    buyer = {f: table.get(f, {}).get("buyer", {}) for f in SECURITY_FUNCTIONS}
    if not any(buyer.values()):
        return []
    target_state = [
        f for f in view.of("target")
        if (f.details or {}).get("control") in SECURITY_FUNCTIONS or (f.details or {}).get("function") in SECURITY_FUNCTIONS
        or _CATEGORY_FUNCTIONS.get(f.category.lower()) in SECURITY_FUNCTIONS
    ]
    buyer_facts = [f for fn in SECURITY_FUNCTIONS for p in sorted(buyer[fn]) for f in buyer[fn][p]]
    unmonitored = [
        f for f in target_state
        if (f.details or {}).get("control") == "siem" and (f.details or {}).get("status") in ("absent", "partial")
    ] if buyer["siem"] else []
    stack = "; ".join(f"{SECURITY_FUNCTIONS[fn]}: {' and '.join(sorted(buyer[fn]))}" for fn in SECURITY_FUNCTIONS if buyer[fn])
    estimates = [e for e in (rules.cost("siem_integration") if buyer["siem"] else None,
                             rules.cost("edr_integration", _measure(view, "endpoint_count")) if buyer["edr"] else None) if e]
    cost = (sum(e.low for e in estimates), sum(e.high for e in estimates)) if estimates else None
    return [
        make_finding(
            "security_onboarding",
            domain="cybersecurity",
            finding_type="work_item",
            title="Onboard the target onto the buyer's SOC and security tooling",
            description=(
                f"Connect the target's logs and endpoints to the buyer's security stack ({stack}) so the buyer's SOC sees the "
                "target's alerts from Day 1; retire the target's own tools once covered."
                + (f" The target has no security monitoring (SIEM / SOC) of its own today ({quotes(unmonitored)}): until it is "
                   "onboarded, attacks on it may go unnoticed." if unmonitored else "")
            ),
            reasoning=f"The buyer runs {stack} ({quotes(buyer_facts)}); the target's current state: {quotes(target_state) if target_state else 'not described'}.",
            severity="medium",
            phase="day_1",
            mitigation="Forward identity, EDR and firewall logs first; align log retention with the buyer's policy.",
            triggers=target_state,
            supports=buyer_facts,
            cost=cost,
            currency=rules.costs.currency,
            details={"cost_assumptions": [e.as_assumption() for e in estimates]},
        )
    ]


def _measure(view: DealView, name: str) -> int | None:
    values = [f.details["value"] for f in view.of("target") if (f.details or {}).get("measure") == name and isinstance(f.details.get("value"), int)]
    return max(values) if values else None

