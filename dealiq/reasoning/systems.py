"""The IT systems and services analysts name in TSAs, separation and integration rules, in any wording."""
from __future__ import annotations

import re

SYSTEMS = {
    "ERP": r"\bERP\b|\bSAP\b|S/4|\bECC\b|Dynamics (?:365|AX|NAV)|Oracle E-?Business|NetSuite|\bJD ?Edwards\b|\bInfor\b",
    "email": r"e-?mail|mailbox|\bExchange\b|Microsoft 365|Office 365|\bM365\b|\bO365\b",
    "identity": r"Active Directory|\bAD\b|Entra|Azure AD|identit|\bOkta\b|\bSSO\b|single sign-on|\btenant\b|\bforest\b|\bIAM\b",
    "network": r"\bWAN\b|MPLS|SD-?WAN|network|internet (?:access|breakout)|firewall",
    "hosting": r"data ?cent(?:re|er)|hosting|colocation|\bservers?\b|infrastructure|VMware|private cloud",
    "service desk": r"service ?desk|help ?desk|IT support|end-user support|desktop support",
    "security operations": r"\bSOC\b|\bSIEM\b|\bMDR\b|\bEDR\b|endpoint detection|CrowdStrike|SentinelOne|security operations|security monitoring|security awareness",
    "HR / payroll": r"\bHR\b|payroll|Workday|SuccessFactors|HCM",
    "CRM": r"\bCRM\b|Salesforce",
    "licences": r"licen[cs]e|enterprise agreement|\bEA\b",
}
_COMPILED = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in SYSTEMS.items()}
DOMAINS = {
    "ERP": "applications", "email": "applications", "CRM": "applications", "HR / payroll": "applications",
    "licences": "applications", "identity": "identity_access", "network": "network", "hosting": "infrastructure",
    "service desk": "organization", "security operations": "cybersecurity",
}


def systems_in(text: str) -> set[str]:
    return {name for name, pattern in _COMPILED.items() if pattern.search(text or "")}


def domain_for_systems(systems: set[str], default: str) -> str:
    for name in SYSTEMS:  # the table's order: ERP before email before identity…
        if name in systems:
            return DOMAINS[name]
    return default
