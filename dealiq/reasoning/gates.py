"""The buyer's own integration rules and gates applied to the target's state: "every acquired company
must have MFA before it is connected", "only supported operating systems may join the network"…
A rule the target does not meet is a risk that links the target's facts (triggers) and the buyer's
rule (supports)."""
from __future__ import annotations

import re

from ..eol.catalogue import PAST_EOL, assess
from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .lifecycle import release_of
from .systems import systems_in
from .view import ABSENT, PARTIAL, DealView, status_of

# control: (label, domain, pattern)
CONTROLS = {
    "mfa": ("multi-factor authentication", "identity_access", r"\bMFA\b|multi-?factor|\b2FA\b|two-factor"),
    "edr": ("EDR on every endpoint", "cybersecurity", r"\bEDR\b|endpoint detection|CrowdStrike|Defender for Endpoint|SentinelOne"),
    "siem": ("security monitoring (SIEM / SOC)", "cybersecurity", r"\bSIEM\b|\bSOC\b|security monitoring|log forwarding"),
    "backup": ("backups", "infrastructure", r"\bbackups?\b"),
    "immutable_backup": ("immutable backups", "infrastructure", r"immutable|offline cop|air-?gapped"),
    "pam": ("privileged access management", "identity_access", r"\bPAM\b|privileged (?:access|accounts?)|CyberArk|BeyondTrust|Delinea"),
    "patching": ("patching", "cybersecurity", r"\bpatch(?:ing|ed|es)?\b"),
    "dr_test": ("tested disaster recovery", "infrastructure", r"disaster recovery|\bDR\b"),
    "segmentation": ("network segmentation", "network", r"segment"),
    "supported_software": ("supported operating systems and software", "infrastructure",
                           r"unsupported|end[- ]of[- ](?:life|support)|\bEOL\b|supported (?:versions?|operating|OS\b|software|releases?|platforms?)"),
}
_COMPILED = {k: re.compile(v[2], re.IGNORECASE) for k, v in CONTROLS.items()}
_REQUIREMENT = re.compile(
    r"\b(?:must|shall|required?|requires|mandatory|prerequisite|pre-requisite|condition|minimum|gate|only (?:\w+ ){0,4}(?:may|can|are (?:allowed|permitted))|"
    r"before (?:connecting|connection|joining|integration|onboarding|day[- ]?1|access)|not (?:be )?(?:connected|allowed|permitted)|no \w+ (?:may|can|will) be connected)\b",
    re.IGNORECASE,
)
# A rule about connecting or joining the buyer's network gates Day 1 itself.
_BLOCKS_DAY1 = re.compile(
    r"\b(?:connect\w*|join\w*|interconnect\w*|network access|day[- ]?(?:1|one)|(?:on|to) (?:the|our) (?:\w+ )?(?:network|WAN))\b", re.IGNORECASE
)


def buyer_rules(view: DealView) -> dict[str, list[FactRecord]]:
    found: dict[str, list[FactRecord]] = {}
    for fact in view.of("buyer"):
        text = f"{fact.item} {fact.evidence}"
        if fact.category != "integration_rule" and not _REQUIREMENT.search(text):
            continue  # a numbered integration rule is a requirement however it is phrased
        if _PERIOD.search(text) and _MOVE.search(text):
            continue  # "move onto our platforms (… CrowdStrike …) within 18 months" is a timeline, not a control gate
        for control, pattern in _COMPILED.items():
            if pattern.search(text):
                found.setdefault(control, []).append(fact)
    return found


def _target_shortfall(view: DealView, rules: Rules, control: str) -> list[FactRecord]:
    if control == "supported_software":
        return [
            f for f in view.of("target")
            if (r := release_of(f, rules)) is not None and assess(r, view.reference_date).status == PAST_EOL
        ]
    short = []
    for fact in view.of("target"):
        details = fact.details or {}
        if details.get("control"):
            if details["control"] == control and details.get("status") in (ABSENT, PARTIAL):
                short.append(fact)
        elif (
            not details.get("rule")
            and _COMPILED[control].search(f"{fact.item} {fact.category.replace('_', ' ')}")
            and status_of(fact) in (ABSENT, PARTIAL)
        ):
            short.append(fact)
    return short


def blocks_day_1(rule_facts: list[FactRecord]) -> bool:
    return any(_BLOCKS_DAY1.search(f.evidence or f.item) for f in rule_facts)


# Requirements another rule reports inside its own finding (one finding per risk): unsupported software
# is part of each end-of-support platform family's risk (lifecycle).
_REPORTED_ELSEWHERE = {"supported_software"}


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    out = []
    for control, rule_facts in sorted(buyer_rules(view).items()):
        if control in _REPORTED_ELSEWHERE:
            continue
        shortfall = _target_shortfall(view, rules, control)
        if not shortfall:
            continue
        label, domain, _ = CONTROLS[control]
        blocks = blocks_day_1(rule_facts)
        dated = [(f, t) for f in view.of("buyer") if control in _controls_named(f) and (t := _timeline(view, f)) and t[0] is not None]
        deadline_text = "".join(
            f" Rule {t[3]} sets a deadline of {t[2].isoformat()} ({t[0]} {t[1]} after completion)." for _, t in dated[:2]
        )
        out.append(
            make_finding(
                "buyer_gate",
                domain=domain,
                finding_type="risk",
                title=f"Target does not meet the buyer's integration requirement: {label}",
                description=(
                    f"The buyer requires {label} ({quotes(rule_facts)}); the target falls short ({quotes(shortfall)})."
                    + (" The rule gates connection to the buyer's network, so it blocks Day-1 integration." if blocks else "")
                    + deadline_text
                ),
                reasoning=f"Buyer rule {quotes(rule_facts[:1])} applied to the target's state {quotes(shortfall[:2])}.",
                severity="critical" if blocks else "high",
                phase="day_1",
                mitigation="Close the gap before the interconnect date, or agree a documented exception with compensating controls.",
                triggers=shortfall,
                supports=rule_facts + [f for f, _ in dated if f not in rule_facts],
                details={"control": control, "blocks_day_1": blocks,
                         "deadlines": sorted({t[2].isoformat() for _, t in dated})},
            )
        )
    return out


_PERIOD = re.compile(r"\bwithin (\d{1,3}) (days|months)\b|\bby (?:day|month) (\d{1,3})\b", re.IGNORECASE)
_MOVE = re.compile(r"\b(?:migrat\w*|move[sd]?|moving|onboard\w*|consolidat\w*|transition\w*|integrat\w*|decommission\w*|retire[sd]?|re-?platform\w*|convert\w*)\b", re.IGNORECASE)
_RULE_ID = re.compile(r"(?-i:\b[A-Z]{1,4}-\d{1,3}\b)")


_PERIOD_OF_AN_END = re.compile(r"\b(?:ending|expiring|ends?|expires?|due for renewal|renewing|lapsing|terminating)\s*$", re.IGNORECASE)


def _timeline(view: DealView, fact: FactRecord):
    """(number, unit, deadline, label) of a buyer rule that moves the target within a period, else None."""
    import datetime as dt

    from ..eol.catalogue import add_months

    text = fact.evidence or fact.item
    if fact.entity != "buyer" or (fact.category != "integration_rule" and not _REQUIREMENT.search(text)):
        return None
    period = _PERIOD.search(text)
    if not _MOVE.search(text):
        return None
    rule_id = _RULE_ID.search(text)
    label = rule_id.group(0) if rule_id else " ".join(re.sub(r"[^\w/ .-]", " ", text).split()[:8])
    if not period:
        # a numbered rule that moves the target's systems onto the buyer's, with no period: still a work item
        if fact.category == "integration_rule" and rule_id and systems_in(text) - {"licences"}:
            return None, None, None, label
        return None
    if _PERIOD_OF_AN_END.search(text[:period.start()]):
        return None  # "contracts ending within 6 months of close have a renewal plan": which contracts, not a deadline
    number = int(period.group(1) or period.group(3))
    unit = (period.group(2) or ("days" if "day" in period.group(0).lower() else "months")).lower()
    deadline = view.reference_date + dt.timedelta(days=number) if unit.startswith("day") else add_months(view.reference_date, number)
    return number, unit, deadline, label


def _controls_named(fact: FactRecord) -> set[str]:
    text = f"{fact.item} {fact.evidence}"
    return {c for c, pattern in _COMPILED.items() if c not in _REPORTED_ELSEWHERE and pattern.search(text)}


def _gated_controls(view: DealView, rules: Rules) -> set[str]:
    """Controls the target falls short of under a buyer gate: a dated rule about one of them is reported
    inside that gate's risk (one finding per risk), not as a separate work item."""
    return {c for c in buyer_rules(view) if c not in _REPORTED_ELSEWHERE and _target_shortfall(view, rules, c)}


def timeline_findings(view: DealView, rules: Rules) -> list[FindingItem]:
    """A buyer rule that moves the target onto its platforms within a period is a work item with a date:
    the deadline is computed from the completion date here."""
    out, seen = [], set()
    gated = _gated_controls(view, rules)
    for fact in view.of("buyer"):
        timeline = _timeline(view, fact)
        if timeline is None or _controls_named(fact) & gated:
            continue
        number, unit, deadline, label = timeline
        if label in seen:
            continue
        seen.add(label)
        if number is None:
            out.append(
                make_finding(
                    "buyer_mandated_migration",
                    domain=fact.domain,
                    finding_type="work_item",
                    title=f"Integration to the buyer's timeline: {label}",
                    description=(
                        f"The buyer's rule ({quotes([fact])}) moves the target onto the buyer's platform; the rule states no "
                        "deadline, so the integration plan must set one and size the migration (users, devices, dependent applications)."
                    ),
                    reasoning="A mandatory migration in the buyer's integration rules, with no period stated.",
                    severity="medium",
                    phase="100_day",
                    mitigation="Agree the deadline and any coexistence period with the buyer; check the TSA and licences cover it.",
                    triggers=[fact],
                    details={"deadline": None},
                )
            )
            continue
        days = number if unit.startswith("day") else number * 30
        out.append(
            make_finding(
                "buyer_timeline",
                domain=fact.domain,
                finding_type="work_item",
                title=f"Integration to the buyer's timeline: {label}",
                description=(
                    f"The buyer's rule ({quotes([fact])}) sets {number} {unit} from completion: done by {deadline.isoformat()}. "
                    "The target's current platforms and the TSA must allow it."
                ),
                reasoning=f"Completion {view.reference_date.isoformat()} + {number} {unit} = {deadline.isoformat()}.",
                severity="high" if days <= 90 else "medium",
                phase="day_1" if days <= 30 else ("100_day" if days <= 100 else "long_term"),
                mitigation="Plan the migration backwards from the deadline; raise an exception with the buyer early where it cannot be met.",
                triggers=[fact],
                details={"deadline": deadline.isoformat()},
            )
        )
    return out
