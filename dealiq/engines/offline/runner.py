"""Run a whole analysis in-process, without Django or Celery: the same steps as the pipeline
(discover target, discover buyer, reason, per domain) over pages held in memory.

After the domains, the deal-level reasoning layer (dealiq.reasoning) runs over all of them, as the
pipeline's finalize does. Used by the golden test, the benchmark and anyone who wants to try a rule change on a data-room folder:

    python -m dealiq.engines.offline.runner samples/sample-deal
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ...documents.extract import extract_document
from ...domains import DOMAIN_KEYS, ENTITIES
from ...reasoning import combine, reason_deal
from ...schemas import (
    DealContext,
    DiscoveryRequest,
    FactItem,
    FindingItem,
    GapItem,
    GapRecord,
    ReasoningRequest,
    SourcePage,
)
from .costing import roll_up
from .engine import OfflineEngine, fact_records


@dataclass
class Analysis:
    facts: list[FactItem] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)
    findings: list[FindingItem] = field(default_factory=list)
    dropped_ungrounded: int = 0

    def counts_by_domain(self) -> dict[str, dict[str, int]]:
        facts, gaps, findings = (Counter(x.domain for x in items) for items in (self.facts, self.gaps, self.findings))
        return {d: {"facts": facts[d], "gaps": gaps[d], "findings": findings[d]} for d in DOMAIN_KEYS}

    def cost_roll_up(self) -> dict[str, dict[str, tuple[int, int]]]:
        return roll_up(self.findings)


def read_dataroom(folder: Path) -> tuple[DealContext, list[SourcePage]]:
    """deal.json + target/ and buyer/ files → the deal and its pages (document ids in file order)."""
    meta = json.loads((folder / "deal.json").read_text(encoding="utf-8"))
    deal = DealContext(
        name=meta["name"],
        deal_type=meta.get("deal_type", "acquisition"),
        target_name=meta.get("target_name", ""),
        buyer_name=meta.get("buyer_name", ""),
        industry=meta.get("industry", ""),
        reference_date=dt.date.fromisoformat(meta["reference_date"]) if meta.get("reference_date") else dt.date.today(),
    )
    pages: list[SourcePage] = []
    document_id = 0
    for entity in ENTITIES:
        root = folder / entity
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            document_id += 1
            extracted = extract_document(path.name, path.read_bytes())
            pages.extend(
                SourcePage(document_id, number, text, path.name, entity)
                for number, text in enumerate(extracted.pages, 1)
            )
    return deal, pages


def analyse(engine: OfflineEngine, deal: DealContext, pages: list[SourcePage], domains=DOMAIN_KEYS) -> Analysis:
    result = Analysis()
    for domain in domains:
        domain_facts: list[FactItem] = []
        domain_gaps: list[GapItem] = []
        for entity in ENTITIES:
            entity_pages = [p for p in pages if p.entity == entity]
            found = engine.discover(DiscoveryRequest(deal=deal, domain=domain, entity=entity, pages=entity_pages))
            domain_facts.extend(found.facts)
            domain_gaps.extend(found.gaps)
            result.dropped_ungrounded += found.dropped_ungrounded
        gap_records = [GapRecord(g.key, g.entity, g.domain, g.category, g.description, g.importance) for g in domain_gaps]
        reasoning = engine.reason(
            ReasoningRequest(deal=deal, domain=domain, facts=fact_records(domain_facts), gaps=gap_records)
        )
        result.facts.extend(domain_facts)
        result.gaps.extend(domain_gaps)
        result.findings.extend(reasoning.findings)
    # The deal-level layer, as the pipeline runs it at finalize: all domains' facts of both entities.
    gap_records = [GapRecord(g.key, g.entity, g.domain, g.category, g.description, g.importance) for g in result.gaps]
    deal_findings = reason_deal(
        deal, fact_records(result.facts), gap_records, domains=domains, rules_dir=engine.rules_dir
    )
    result.findings = combine(result.findings, deal_findings)
    return result


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "samples/sample-deal")
    deal, pages = read_dataroom(folder)
    analysis = analyse(OfflineEngine(), deal, pages)
    print(f"{deal.name}: {len(pages)} pages")
    for domain, counts in analysis.counts_by_domain().items():
        print(f"  {domain:16} facts {counts['facts']:3}  gaps {counts['gaps']:3}  findings {counts['findings']:3}")
    total = analysis.cost_roll_up().get("total", {}).get("total", (0, 0))
    print(f"  cost roll-up: USD {total[0]:,} – {total[1]:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
