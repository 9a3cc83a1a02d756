"""Analyse a whole deal with an engine, shaped like the pipeline but without Django or Celery.

Six domain chains run in parallel threads, each `discover(target) → discover(buyer) → reason`, the
reasoning step getting the chain's grounded facts (with refs) and gaps, as the pipeline reads them back
from the database. Used by the engine tests and handy for benchmarks against the fake server.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dealiq.domains import DOMAIN_KEYS
from dealiq.schemas import (
    DealContext,
    DiscoveryRequest,
    DiscoveryResult,
    FindingItem,
    ReasoningRequest,
    SourcePage,
    Usage,
)
from tests.fakes.data_room import fact_record, gap_record


@dataclass
class DealAnalysis:
    discoveries: dict[tuple[str, str], DiscoveryResult] = field(default_factory=dict)  # (domain, entity)
    findings: dict[str, list[FindingItem]] = field(default_factory=dict)
    dropped_links: int = 0
    usage: Usage = field(default_factory=Usage)

    @property
    def facts(self):
        return [f for r in self.discoveries.values() for f in r.facts]

    @property
    def gaps(self):
        return [g for r in self.discoveries.values() for g in r.gaps]

    @property
    def all_findings(self):
        return [f for items in self.findings.values() for f in items]

    @property
    def dropped_ungrounded(self) -> int:
        return sum(r.dropped_ungrounded for r in self.discoveries.values())


def analyse_deal(engine, deal: DealContext, pages: dict[str, list[SourcePage]], workers: int = 6) -> DealAnalysis:
    analysis = DealAnalysis()

    def chain(domain: str):
        found = {}
        for entity in ("target", "buyer"):
            found[entity] = engine.discover(
                DiscoveryRequest(deal=deal, domain=domain, entity=entity, pages=pages.get(entity, []))
            )
        facts = [f for entity in ("target", "buyer") for f in found[entity].facts]
        gaps = [g for entity in ("target", "buyer") for g in found[entity].gaps]
        records = [fact_record(f, ref=f"F{i}") for i, f in enumerate(facts, start=1)]
        reasoned = engine.reason(
            ReasoningRequest(deal=deal, domain=domain, facts=records, gaps=[gap_record(g) for g in gaps])
        )
        return domain, found, reasoned

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for domain, found, reasoned in pool.map(chain, DOMAIN_KEYS):
            for entity, result in found.items():
                analysis.discoveries[(domain, entity)] = result
                analysis.usage.add(result.usage)
            analysis.findings[domain] = reasoned.findings
            analysis.dropped_links += reasoned.dropped_links
            analysis.usage.add(reasoned.usage)
    return analysis


def load_data_room(folder: str | Path) -> dict[str, list[SourcePage]]:
    """SourcePages of a data-room folder (target/ and buyer/), extracted like an upload; ids 1, 2, 3…"""
    from dealiq.documents.dataroom import iter_dataroom
    from dealiq.documents.extract import extract_document

    pages: dict[str, list[SourcePage]] = {"target": [], "buyer": []}
    files = sorted(iter_dataroom(folder), key=lambda f: (f.entity, f.path))
    for document_id, file in enumerate(files, start=1):
        extracted = extract_document(file.path, file.data)
        pages[file.entity] += [
            SourcePage(document_id, number, text, filename=file.path, entity=file.entity)
            for number, text in enumerate(extracted.pages, start=1)
            if text.strip()
        ]
    return pages
