"""Critical findings of a penetration test or vulnerability assessment that are still open.

A test report's register lists findings with a rating ("KA-01 … Critical (9.8)", "Severity: Critical",
"CVSS 9.1"). One rated critical and not stated as fixed is a Day-1 risk of its own, critical when the system
is reachable from the internet or a buyer rule requires such findings fixed before completion. Business
criticality ("Tier 1 (business critical)", "Criticality: Critical") is not a rating of a finding.
"""
from __future__ import annotations

import re

from ..schemas import FactRecord, FindingItem
from .context import Rules
from .emit import make_finding, quotes
from .view import DealView

_CRITICAL = re.compile(
    r"(?<!business )(?<!business-)(?:\b(?:severity|rating|risk(?: rating)?|cvss(?: score)?)\s*[:=]?\s*critical\b"
    r"|\bcritical\s*\(\s*(?:cvss\s*)?\d{1,2}(?:\.\d)?\s*\)"
    r"|\bcritical(?:-severity| severity| risk| rated)? (?:finding|vulnerabilit\w*|issue|weakness)s?\b"
    r"|\bCVSS(?:\s*v?\d(?:\.\d)?)?\s*(?:base )?(?:score\s*)?[:=]?\s*(?:9\.\d|10(?:\.0)?)(?!\d))",
    re.IGNORECASE,
)
_BUSINESS = re.compile(r"\bbusiness[- ]critical\b|\bcriticality\s*[:=]|\bmission[- ]critical\b|\bTier\s*1\b", re.IGNORECASE)
# what a test finds (the report's own words), or a report named as a test
_VULNERABILITY = re.compile(
    r"\b(?:injection|remote code execution|RCE|authentication bypass|unauthenticated|default (?:credentials|passwords?)|"
    r"exposed|exploit\w*|vulnerab\w*|CVE-\d{4}-\d+|XSS|cross-site|privilege escalation|deseriali[sz]ation|directory traversal)\b",
    re.IGNORECASE,
)
_TEST_DOCUMENT = re.compile(r"pen(?:etration)?[-_ ]?test|pentest|vulnerab|VAPT|red[-_ ]team|security[-_ ]assessment|scan", re.IGNORECASE)
# a policy or SLA about critical findings ("Patching SLA for critical vulnerabilities: 14 days") is no finding
_POLICY = re.compile(r"\bSLAs?\b|\bpolic(?:y|ies)\b|\b(?:must|shall|should)\b|\bwithin \d+ (?:calendar |working |business )?(?:days|hours)\b", re.IGNORECASE)
_FIXED = re.compile(r"\b(?:remediated|fixed|closed|resolved|patched|retested (?:and )?(?:closed|passed))\b", re.IGNORECASE)
_EXPOSED = re.compile(
    r"\b(?:internet|external(?:ly)?|public(?:ly)?|perimeter|DMZ|portal|customer[- ]facing|web (?:server|application|app|shop)|online)\b",
    re.IGNORECASE,
)
_GATE = re.compile(r"pen(?:etration)?[- ]?test|pentest|vulnerabilit", re.IGNORECASE)


def _is_open_critical(view: DealView, fact: FactRecord) -> bool:
    text = fact.evidence or ""
    if not _CRITICAL.search(text) or _FIXED.search(text) or _POLICY.search(text):
        return False
    if _BUSINESS.search(text) and not _VULNERABILITY.search(text):
        return False
    return bool(_VULNERABILITY.search(text) or _TEST_DOCUMENT.search(str((fact.details or {}).get("source_file", ""))))


def findings(view: DealView, rules: Rules) -> list[FindingItem]:
    by_entity: dict[str, dict[tuple, FactRecord]] = {}
    for fact in view.of(*view.entities_in_scope()):
        if fact.category == "integration_rule" or not _is_open_critical(view, fact):
            continue
        # one line of a report read by several rules (the finding, its host's OS, its runtime) is one finding
        key = (fact.document_id, re.sub(r"\s+", " ", fact.evidence or ""))
        found = by_entity.setdefault(fact.entity, {})
        if key not in found or (fact.details or {}).get("rule") == "register_item":
            found[key] = fact
    gates = [f for f in view.of("buyer") if f.category == "integration_rule" and _GATE.search(view.text(f))
             and re.search(r"\bcritical\b", view.text(f), re.IGNORECASE)]
    out = []
    for entity, found in sorted(by_entity.items()):
        facts = [found[k] for k in sorted(found, key=lambda k: (k[0] or 0, k[1]))]
        exposed = any(_EXPOSED.search(f.evidence or "") for f in facts)
        gated = bool(gates) and entity == "target"
        out.append(
            make_finding(
                "critical_test_findings",
                domain="cybersecurity",
                finding_type="risk",
                title=f"Critical security-test findings still open ({entity})",
                description=(
                    f"A penetration test or vulnerability assessment of the {entity} rates {len(facts)} "
                    f"finding{'s' if len(facts) != 1 else ''} critical with no fix stated ({quotes(facts)})"
                    + (": at least one is reachable from the internet" if exposed else "")
                    + (". The buyer's rules require such findings fixed before completion" if gated else "")
                    + "."
                ),
                reasoning=f"The report's own rating is critical and nothing says the finding was remediated ({quotes(facts)}).",
                severity="critical" if exposed or gated else "high",
                phase="day_1",
                mitigation="Fix or take offline before completion, retest, and make the retest report a condition of connecting the target.",
                triggers=facts,
                supports=gates if entity == "target" else [],
                details={"entity": entity, "internet_facing": exposed},
            )
        )
    return out
