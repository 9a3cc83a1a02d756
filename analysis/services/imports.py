"""Importing an earlier analysis (DealIQ's JSON export or a file-based tool's lists) into a new run.

The run goes through the same homes as an analysed one: create_run (number, manifest, steps), the
upserts (natural keys, carried-forward verifications), and finalize_run (counts, answered gaps,
completed event and notifications). It is marked `origin=imported`, with the file it came from, and
every stored row keeps its legacy id. Progress: the run's steps are settled domain by domain.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from django.db import transaction
from django.utils import timezone

from dealiq.analysis_import import KINDS, ParsedAnalysis, parse_analysis, read_sources
from dealiq.domains import DOMAIN_KEYS
from dealiq.schemas import DiscoveryResult, ReasoningResult
from deals.models import Document

from ..models import AnalysisRun, Fact, Finding, Gap, RunOrigin, RunStatus, RunStep, StepStatus
from .finalize import finalize_run
from .persist import upsert_discovery, upsert_reasoning
from .runs import create_run

IMPORT_ENGINE = "import"
MODELS = {"facts": Fact.all_objects, "gaps": Gap.objects, "findings": Finding.objects}


@dataclass
class ImportReport:
    run: AnalysisRun
    layout: str
    files: list[str]
    read: Counter = field(default_factory=Counter)
    stored: Counter = field(default_factory=Counter)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, legacy id, reason)
    links: int = 0

    @property
    def balanced(self) -> bool:
        rejected = Counter(kind for kind, _, _ in self.rejected)
        return all(self.read[k] == self.stored[k] + rejected[k] for k in KINDS)

    def lines(self) -> list[str]:
        rejected = Counter(kind for kind, _, _ in self.rejected)
        out = [
            f"Imported into run {self.run.number} of {self.run.deal.name} ({self.layout}; {', '.join(self.files)}).",
            f"{'kind':<10}{'read':>8}{'stored':>8}{'rejected':>10}  check",
        ]
        for kind in KINDS:
            ok = self.read[kind] == self.stored[kind] + rejected[kind]
            out.append(f"{kind:<10}{self.read[kind]:>8}{self.stored[kind]:>8}{rejected[kind]:>10}  "
                       f"{'ok' if ok else 'MISMATCH: read ≠ stored + rejected'}")
        out.append(f"Finding–fact links stored: {self.links}.")
        for kind, legacy_id, reason in self.rejected:
            out.append(f"rejected {kind[:-1]} {legacy_id}: {reason}")
        return out


def import_analysis(deal, path: Path, *, actor=None, progress: Callable[[int, str], None] | None = None) -> ImportReport:
    """Read `path` (a .json file or a folder of them) and store it as a new, completed, imported run.
    Raises dealiq.analysis_import.ImportFormatError for a file that cannot be read as an analysis."""
    progress = progress or (lambda percent, message: None)
    sources = read_sources(path)
    documents = {
        filename.casefold(): pk
        for pk, filename in Document.objects.for_deal(deal).newest_readable().order_by("id").values_list("id", "filename")
    }
    parsed = parse_analysis(sources, documents)
    domains = [d for d in DOMAIN_KEYS if any(e.item is not None and e.item.domain == d for e in parsed.entries)]
    progress(0, f"read {len(parsed.entries)} entries from {len(sources)} file(s) ({parsed.layout})")
    with transaction.atomic():
        run = create_run(deal, engine=IMPORT_ENGINE, model=parsed.layout[:100], domains=domains or list(DOMAIN_KEYS),
                         triggered_by=actor, needs_documents=False)
        AnalysisRun.objects.filter(pk=run.pk).update(
            origin=RunOrigin.IMPORTED, import_source=str(path)[:500], status=RunStatus.RUNNING,
            started_at=timezone.now(),
        )
        run.refresh_from_db()
        report = ImportReport(run, parsed.layout, parsed.files)
        for kind in KINDS:
            report.read[kind] = len(parsed.of_kind(kind))
        report.rejected = [(e.kind, e.legacy_id, e.error) for e in parsed.entries if e.item is None]
        for index, domain in enumerate(run.domains, 1):
            report.links += _store_domain(run, parsed, domain)
            RunStep.objects.filter(run=run, domain=domain).update(status=StepStatus.DONE, finished_at=timezone.now())
            done = index * 3
            AnalysisRun.objects.filter(pk=run.pk).update(steps_done=done, progress=round(100 * done / run.steps_total))
            progress(round(100 * index / len(run.domains)), f"{domain}: stored")
        for kind in KINDS:
            report.stored[kind] = MODELS[kind].for_run(run).exclude(legacy_id="").count()
        finalize_run(run.pk)
    run.refresh_from_db()
    return report


def _store_domain(run: AnalysisRun, parsed: ParsedAnalysis, domain: str) -> int:
    def entries(kind):
        return [e for e in parsed.of_kind(kind) if e.item is not None and e.item.domain == domain]

    facts, gaps, findings = entries("facts"), entries("gaps"), entries("findings")
    upsert_discovery(run, DiscoveryResult(facts=[e.item for e in facts], gaps=[e.item for e in gaps]))
    stored = upsert_reasoning(run, domain, _reasoning(findings)) if findings else {"links": 0}
    for kind, group in (("facts", facts), ("gaps", gaps), ("findings", findings)):
        legacy = {e.item.key: e.legacy_id for e in group}
        rows = list(MODELS[kind].for_run(run).filter(key__in=list(legacy)))
        for row in rows:
            row.legacy_id = legacy[row.key]
        MODELS[kind].bulk_update(rows, ["legacy_id"], batch_size=1000)
    return stored["links"]


def _reasoning(entries) -> ReasoningResult:
    return ReasoningResult(findings=[e.item for e in entries])
