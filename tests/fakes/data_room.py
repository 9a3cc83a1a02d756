"""A small two-entity data room as SourcePage lists, for engine tests that need no database."""
from __future__ import annotations

import datetime as dt

from dealiq.schemas import DealContext, FactItem, FactRecord, GapItem, GapRecord, SourcePage

DEAL = DealContext(
    name="Project Falcon",
    deal_type="carve_out",
    target_name="Falcon Components Ltd",
    buyer_name="Harrier Group plc",
    industry="industrial manufacturing",
    reference_date=dt.date(2025, 3, 31),
)

_TARGET = {
    (11, "it-overview.md"): [
        "IT overview for Falcon Components.\n\n"
        "The business runs SAP ECC 6.0 EHP7 as its ERP, on a client shared with the parent company. "
        "Salesforce Sales Cloud is the CRM with 240 named licences, renewing on 31 March 2026. "
        "Payroll is outsourced to ADP under a parent contract that cannot be assigned without consent.",
        "Infrastructure. The Leeds data centre hosts 120 virtual servers on VMware vSphere 7.0. "
        "Forty servers still run Windows Server 2012 R2, which is out of support. "
        "Backups are taken nightly with Veeam to a NAS in the same building; the last DR test was in 2021.",
    ],
    (12, "security-and-network.txt"): [
        "Security. There is no SIEM and no 24x7 SOC; the parent's MSP reviews firewall logs weekly. "
        "CrowdStrike Falcon EDR covers 92% of laptops and none of the servers. "
        "The last penetration test was in 2022 and three critical findings remain open.",
        "Identity. All users sit in the parent's Active Directory forest parent.local. "
        "MFA is enforced for VPN access but not for administrator accounts. "
        "Network. The WAN connects 12 sites over MPLS from BT, with Fortinet FortiGate firewalls at each site. "
        "The IT team has 14 FTE staff and 6 contractors; the IT manager reports to the plant CFO.",
    ],
}

_BUYER = {
    (21, "harrier-it-standards.md"): [
        "Harrier Group IT standards.\n\n"
        "Harrier runs SAP S/4HANA 2023 as its group ERP and Salesforce as its CRM. "
        "All servers run in Microsoft Azure West Europe under a single enterprise agreement. "
        "The group SOC is operated by Secureworks with Microsoft Sentinel as the SIEM.",
        "Identity is Microsoft Entra ID with Conditional Access; MFA is required for every account. "
        "The network is Cisco SD-WAN with Zscaler for internet access. "
        "The group IT organisation has 85 staff led by a CIO who reports to the CEO.",
    ],
}


def _pages(documents: dict, entity: str) -> list[SourcePage]:
    return [
        SourcePage(document_id=doc_id, page_number=n, text=text, filename=filename, entity=entity)
        for (doc_id, filename), texts in documents.items()
        for n, text in enumerate(texts, start=1)
    ]


TARGET_PAGES = _pages(_TARGET, "target")
BUYER_PAGES = _pages(_BUYER, "buyer")
PAGES = {"target": TARGET_PAGES, "buyer": BUYER_PAGES}


def fact_record(fact: FactItem, ref: str = "") -> FactRecord:
    """A discovered fact as the reasoning step receives it from the database."""
    return FactRecord(
        key=fact.key,
        entity=fact.entity,
        domain=fact.domain,
        category=fact.category,
        item=fact.item,
        details=dict(fact.details),
        evidence=fact.evidence,
        document_id=fact.document_id,
        pages=tuple(fact.pages),
        ref=ref,
    )


def gap_record(gap: GapItem) -> GapRecord:
    return GapRecord(gap.key, gap.entity, gap.domain, gap.category, gap.description, gap.importance)


def _inventory_pages(document_id: int, filename: str, entity: str, rows: list[str], per_page: int = 30) -> list[SourcePage]:
    return [
        SourcePage(document_id, n, "\n\n".join(rows[i : i + per_page]), filename=filename, entity=entity)
        for n, i in enumerate(range(0, len(rows), per_page), start=1)
    ]


def with_inventories() -> dict[str, list[SourcePage]]:
    """The data room plus inventory exports (~20,000 characters): small, but closer to a real deal's size."""
    servers = [
        f"hostname: SRV-{i:03d}; os: Windows Server {(2012, 2016, 2019, 2022)[i % 4]}; role: "
        f"{('file', 'sql', 'app', 'web', 'print')[i % 5]}; site: {('Leeds', 'Derby', 'Hull')[i % 3]}; "
        f"owner: {('IT ops', 'Finance', 'Plant')[i % 3]}"
        for i in range(90)
    ]
    circuits = [
        f"site: Plant {i:02d}; carrier: {('BT', 'Virgin Media', 'Colt')[i % 3]}; bandwidth: {(50, 100, 200)[i % 3]} Mbps; "
        f"firewall: FortiGate {(60, 100, 200)[i % 3]}F on FortiOS 7.{i % 3}; contract end: 2026-0{1 + i % 9}-30"
        for i in range(24)
    ]
    applications = [
        f"application: {name}; vendor: {vendor}; version: {version}; hosting: {hosting}; users: {users}; "
        f"owner: {owner}; licence model: {('subscription', 'perpetual', 'enterprise agreement')[i % 3]}"
        for i, (name, vendor, version, hosting, users, owner) in enumerate(
            [
                ("S/4HANA", "SAP", "2023 FPS02", "RISE private cloud", 4200, "Group Finance"),
                ("Sales Cloud", "Salesforce", "Spring 25", "SaaS", 1800, "Group Sales"),
                ("Workday HCM", "Workday", "2025R1", "SaaS", 9000, "Group HR"),
                ("ServiceNow ITSM", "ServiceNow", "Xanadu", "SaaS", 350, "Group IT"),
                ("Power BI", "Microsoft", "Premium", "SaaS", 2200, "Group Finance"),
                ("Teamcenter", "Siemens", "14.3", "Azure IaaS", 600, "Engineering"),
                ("Coupa", "Coupa", "R40", "SaaS", 900, "Procurement"),
                ("Kofax", "Tungsten", "11.2", "Azure IaaS", 40, "Accounts payable"),
            ]
            * 5
        )
    ]
    return {
        "target": TARGET_PAGES
        + _inventory_pages(13, "server-inventory.csv", "target", servers)
        + _inventory_pages(14, "wan-circuits.csv", "target", circuits),
        "buyer": BUYER_PAGES + _inventory_pages(22, "group-applications.csv", "buyer", applications),
    }
