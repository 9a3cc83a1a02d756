"""The six IT due-diligence domains: the catalogue every engine and page shares."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    key: str
    label: str
    scope: str


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "applications",
        "Applications",
        "Application inventory (ERP, CRM, HRIS/payroll, finance, custom software), versions, hosting, "
        "owners, licences and SaaS contracts with assignment or change-of-control clauses, integrations, "
        "in-flight IT projects.",
    ),
    Domain(
        "infrastructure",
        "Infrastructure",
        "Data centres, colocation and cloud tenancies, servers and operating systems with versions, "
        "virtualisation, storage, backup, disaster recovery (RTO/RPO, DR tests), end-user devices, "
        "hardware age, IT run cost.",
    ),
    Domain(
        "cybersecurity",
        "Cybersecurity",
        "Security governance (CISO, frameworks, SOC 2 / ISO 27001), controls (EDR, SIEM/SOC, vulnerability "
        "management, penetration tests, email security, awareness), incident history, incident response, "
        "cyber insurance.",
    ),
    Domain(
        "identity_access",
        "Identity & access",
        "Directories and identity providers (Active Directory forests, Entra ID tenants, Okta), SSO, MFA "
        "coverage, privileged access management, joiner-mover-leaver process, access reviews, identities "
        "shared with a parent or seller.",
    ),
    Domain(
        "network",
        "Network",
        "Sites, WAN/MPLS/SD-WAN, carriers and circuits, firewalls and remote access with OS versions, "
        "segmentation, IP addressing, DNS/DHCP, telephony, network diagrams.",
    ),
    Domain(
        "organization",
        "Organisation",
        "IT headcount, employees vs contractors, key people and single points of knowledge, outsourcing/MSP "
        "contracts, IT budget, governance, project portfolio, TSA services in a carve-out.",
    ),
)

DOMAIN_KEYS: tuple[str, ...] = tuple(d.key for d in DOMAINS)
DOMAINS_BY_KEY: dict[str, Domain] = {d.key: d for d in DOMAINS}

ENTITIES: tuple[str, ...] = ("target", "buyer")
