"""Offline-engine throughput on a generated data room of 500+ pages.

    .venv/bin/python bench/bench_offline.py [--pages 600] [--repeat 3]

The room is built deterministically (fixed seed) from three kinds of material, so it resembles a real
data room rather than one page copied 500 times:
  - the sample deal's documents, re-issued per business unit with their numbers changed;
  - per-server inventories (CSV, one row per host) with messy OS spellings, the bulk of a real room;
  - contract registers and security questionnaires with varied answers.
It reports pages per second for a full analysis (6 domains × discover target + discover buyer + reason)
and for discovery alone, and writes the figures to bench/results/offline.json (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dealiq.documents.extract import extract_document  # noqa: E402
from dealiq.domains import DOMAIN_KEYS, ENTITIES  # noqa: E402
from dealiq.engines.offline import OfflineEngine  # noqa: E402
from dealiq.engines.offline.runner import analyse, read_dataroom  # noqa: E402
from dealiq.schemas import DiscoveryRequest, SourcePage  # noqa: E402

SAMPLE = ROOT / "samples" / "sample-deal"
OS_SPELLINGS = [
    "W2K12R2", "Win 2012 R2", "Windows Server 2012 R2", "Windows Server 2016", "WS2019", "Windows Server 2022",
    "RHEL 7.9", "RHEL 8.6", "RHEL 9", "Ubuntu 18.04", "Ubuntu 22.04", "SLES 12 SP5", "CentOS 7", "Windows Server 2008 R2",
]
DB_SPELLINGS = ["SQL 2014 SP3", "SQL Server 2016 SP3", "SQL 2019", "Oracle 19c", "PostgreSQL 11", "MySQL 5.7", ""]
ROLES = ["File server", "Print server", "Application server", "Database server", "Domain controller", "Web server", "Batch"]
SUPPLIERS = ["Colt", "BT", "Calderon IT Services", "Equinix", "Salesforce", "Microsoft", "Siemens", "Nordsec", "Veeam", "Okta"]
SERVICES = ["MPLS WAN", "Colocation in LD5", "Managed service desk", "Sales Cloud subscription", "Enterprise Agreement licences",
            "MES software maintenance", "Penetration testing", "Backup licences", "SSO subscription", "SD-WAN circuits"]
ANSWERS = [
    "MFA: enforced for VPN only ({pct}% of accounts).", "EDR: Defender for Endpoint on {pct}% of laptops.",
    "SIEM / SOC: no SIEM is in place.", "Backups: Veeam nightly to disk; no immutable copy exists.",
    "DR test results: TBD", "Penetration test: last external test in March 2024.", "Privileged access: no PAM tool is used.",
    "SOC 2 report: not available.", "Access reviews are performed annually.", "Incident response plan: TBD",
]


def _server_inventory(rng: random.Random, rows: int) -> str:
    lines = ["Hostname,Operating system,Database,Role,Site,vCPU,RAM GB"]
    for i in range(rows):
        os_name, db = rng.choice(OS_SPELLINGS), rng.choice(DB_SPELLINGS)
        lines.append(f"SRV-{rng.choice(['AAR', 'POZ', 'HAM'])}-{i:04d},{os_name},{db},{rng.choice(ROLES)},"
                     f"{rng.choice(['Aarhus', 'Poznan', 'Hamburg'])},{rng.choice([2, 4, 8, 16])},{rng.choice([8, 16, 32, 64])}")
    return "\n".join(lines)


def _contracts(rng: random.Random, rows: int) -> str:
    lines = ["Supplier,Service,End date,Notice period,Change of control"]
    for _ in range(rows):
        lines.append(f"{rng.choice(SUPPLIERS)},{rng.choice(SERVICES)},{rng.randint(2026, 2030)}-{rng.randint(1, 12):02d}-28,"
                     f"{rng.choice([30, 60, 90])} days,{rng.choice(['None', 'Consent required', 'Notify'])}")
    return "\n".join(lines)


def _questionnaire(rng: random.Random, unit: int) -> str:
    body = [f"# Security questionnaire – business unit {unit}", ""]
    for _ in range(60):
        body.append("- " + rng.choice(ANSWERS).format(pct=rng.randint(40, 95)))
        body.append("")
        body.append("Supporting narrative: " + " ".join(rng.choice(ROLES).lower() for _ in range(40)) + ".")
        body.append("")
    return "\n".join(body)


def _reissued(text: str, rng: random.Random) -> str:
    """A sample document for another business unit: same shape, different figures."""
    return re.sub(r"(?<![\w.])(\d{1,3})(?= (?:servers|FTE|sites|hosts|devices|contractors))",
                  lambda m: str(max(1, int(m.group(1)) + rng.randint(-5, 5))), text)


def build_dataroom(min_pages: int, seed: int = 20261123) -> tuple[object, list[SourcePage]]:
    rng = random.Random(seed)
    deal, sample_pages = read_dataroom(SAMPLE)
    sample_files = sorted((SAMPLE / e / f.name, e) for e in ENTITIES for f in (SAMPLE / e).iterdir())
    pages: list[SourcePage] = []
    document_id = 0

    def add(entity: str, filename: str, data: bytes) -> None:
        nonlocal document_id
        document_id += 1
        for number, text in enumerate(extract_document(filename, data).pages, 1):
            pages.append(SourcePage(document_id, number, text, filename, entity))

    unit = 0
    while len(pages) < min_pages:
        unit += 1
        for path, entity in sample_files:
            add(entity, f"bu{unit}-{path.name}", _reissued(path.read_text(encoding="utf-8"), rng).encode())
        add("target", f"bu{unit}-server-inventory.csv", _server_inventory(rng, 400).encode())
        add("target", f"bu{unit}-contracts.csv", _contracts(rng, 80).encode())
        add("target", f"bu{unit}-questionnaire.md", _questionnaire(rng, unit).encode())
        add("buyer", f"bu{unit}-buyer-servers.csv", _server_inventory(rng, 150).encode())
    return deal, pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    deal, pages = build_dataroom(args.pages)
    chars = sum(len(p.text) for p in pages)
    engine = OfflineEngine()  # rules and catalogue load here, outside the timing
    print(f"data room: {len(pages)} pages, {len({p.document_id for p in pages})} documents, {chars / 1e6:.2f} M characters")

    full, discovery = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for domain in DOMAIN_KEYS:
            for entity in ENTITIES:
                engine.discover(DiscoveryRequest(deal=deal, domain=domain, entity=entity, pages=[p for p in pages if p.entity == entity]))
        discovery.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = analyse(engine, deal, pages)
        full.append(time.perf_counter() - start)

    best_full, best_discovery = min(full), min(discovery)
    report = {
        "pages": len(pages),
        "characters": chars,
        "facts": len(result.facts),
        "gaps": len(result.gaps),
        "findings": len(result.findings),
        "full_analysis_seconds": round(best_full, 3),
        "full_analysis_pages_per_second": round(len(pages) / best_full, 1),
        "discovery_seconds": round(best_discovery, 3),
        "discovery_pages_per_second": round(len(pages) / best_discovery, 1),
        # The pipeline runs the six domains in parallel: this is the rate of one domain's discovery.
        "single_domain_discovery_pages_per_second": round(len(pages) * len(DOMAIN_KEYS) / best_discovery, 1),
        "note": "pages/s counts each page once; every page is read by 6 domain discoveries. Best of "
        f"{args.repeat} runs, {engine.model}.",
    }
    print(f"full analysis (6 domains x discover target + buyer + reason): {best_full:.2f} s -> "
          f"{report['full_analysis_pages_per_second']} pages/s")
    print(f"discovery only: {best_discovery:.2f} s -> {report['discovery_pages_per_second']} pages/s "
          f"(one domain: {report['single_domain_discovery_pages_per_second']} pages/s)")
    print(f"output: {report['facts']} facts, {report['gaps']} gaps, {report['findings']} findings")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "offline.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
