"""Security practices an analyst flags wherever they appear, and that a buyer's baseline usually forbids:
shared or generic accounts, legacy protocols and unencrypted data, vendors handling regulated data
without a data-protection agreement (BAA / DPA). One risk per practice and entity; a buyer rule that
forbids the practice is linked (`supports`) and named, and makes it high when it gates connection."""
from __future__ import annotations

import re

from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .gates import blocks_day_1
from .view import DealView

_REQUIREMENT = re.compile(
    r"\b(?:must|shall|required?|requires|mandatory|prohibited|forbidden|not (?:be )?(?:allowed|permitted)|only|no)\b"
    r"|^\s*[A-Z]{1,4}-\d{1,3}\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:no|without|prohibit\w*|forbid\w*|never|eliminat\w*|remov\w*|disabled?|not (?:use|allow)\w*)\b[^.;]{0,30}$", re.IGNORECASE)

# practice: (title, domain, pattern of the practice in a statement about the estate, pattern of the rule, mitigation)
PRACTICES = {
    "shared_accounts": (
        "Shared or generic accounts in use",
        "identity_access",
        re.compile(r"\bshared (?:\w+ ){0,2}(?:accounts?|logins?|log-ins|credentials|user ?ids?|passwords?)\b|"
                   r"\bgeneric (?:\w+ ){0,2}(?:accounts?|logins?|user ?ids?)\b|\baccounts? (?:are|is) shared\b", re.IGNORECASE),
        re.compile(r"\b(?:shared|generic) (?:or generic |or shared )?(?:\w+ ){0,2}(?:accounts?|logins?|user)", re.IGNORECASE),
        "Replace shared logins with named accounts (fast user switching or badge tap-in where staff share workstations) before they join the buyer's directory.",
    ),
    "insecure_protocols": (
        "Insecure protocols and unencrypted data",
        "cybersecurity",
        re.compile(r"\bSMB ?v1\b|\bTLS ?1\.[01]\b|\bSSL ?v?[23]\b|\btelnet\b|\bNTLM ?v1\b|\bdefault SNMP\b|\bSNMP (?:v1|v2c?)\b|"
                   r"\bcommunity string \W?public\b|\b(?:not|un)encrypted at rest\b|\bno (?:TDE|encryption at rest|disk encryption)\b|"
                   r"\b(?:TDE|encryption at rest|BitLocker) (?:is )?not (?:enabled|in place|configured)\b|\bunencrypted (?:database|backups?|disks?|laptops?)\b|"
                   r"\bcleartext (?:passwords?|protocols?)\b", re.IGNORECASE),
        re.compile(r"\bTLS ?1\.[23]\b|\bencrypt\w*|\bSMB ?v1\b|\blegacy protocols?\b", re.IGNORECASE),
        "Disable SMBv1 and TLS below 1.2, change default SNMP communities, enable encryption at rest for regulated data; verify with a configuration scan before interconnect.",
    ),
    "data_protection_agreements": (
        "Vendors handling regulated data without a data-protection agreement (BAA / DPA)",
        "cybersecurity",
        re.compile(r"\b(?:no|without|missing|unsigned|not signed|lacks?|none)\b[^.;]{0,40}\b(?:BAA|business associate agreement|DPA|data processing agreement)s?\b|"
                   r"\b(?:BAA|business associate agreement|DPA|data processing agreement)s?\b[^.;]{0,30}\b(?:missing|not (?:yet )?signed|none|no|outstanding|not in place|TBD)\b",
                   re.IGNORECASE),
        re.compile(r"\bBAA\b|business associate|\bDPA\b|data processing agreement", re.IGNORECASE),
        "Sign BAAs / DPAs with every vendor that handles regulated data before completion; stop data flows to vendors that will not sign.",
    ),
}


def _rules_against(view: DealView, rule_pattern: re.Pattern) -> list[FactRecord]:
    return [
        f for f in view.of("buyer")
        if rule_pattern.search(f.evidence or f.item) and (f.category == "integration_rule" or _REQUIREMENT.search(f.evidence or f.item))
    ]


def _states(view: DealView, entity: str, pattern: re.Pattern) -> list[FactRecord]:
    """Statements that the practice exists in the entity's estate (not a rule against it, not "no shared accounts")."""
    found = []
    for fact in view.of(entity):
        if fact.category == "integration_rule":
            continue
        text = fact.evidence or fact.item
        match = pattern.search(text)
        if match and not _NEGATED.search(text[:match.start()]):
            found.append(fact)
    return found


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    out = []
    for practice, (title, domain, pattern, rule_pattern, mitigation) in PRACTICES.items():
        rule_facts = _rules_against(view, rule_pattern)
        for entity in view.entities_in_scope():
            states = [f for f in _states(view, entity, pattern) if f not in rule_facts]
            if not states:
                continue
            blocks = bool(rule_facts) and entity == "target" and blocks_day_1(rule_facts)
            rule_text = f" The buyer's rules forbid it ({quotes(rule_facts[:2])})." if rule_facts and entity == "target" else ""
            out.append(
                make_finding(
                    practice,
                    domain=domain,
                    finding_type="risk",
                    title=title + ("" if entity == "target" else f" ({entity})"),
                    description=f"The {entity}'s documents describe it: {quotes(states)}.{rule_text}",
                    reasoning=f"Statements about the {entity}'s estate ({quotes(states)})"
                    + (f" measured against the buyer's rules ({quotes(rule_facts[:2])})." if rule_text else "."),
                    severity="high" if blocks else "medium",
                    phase="day_1" if blocks or practice == "data_protection_agreements" else "100_day",
                    mitigation=mitigation,
                    triggers=states,
                    supports=rule_facts if entity == "target" else [],
                    details={"entity": entity, "practice": practice},
                )
            )
    return out
