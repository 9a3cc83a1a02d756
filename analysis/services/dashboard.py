"""The numbers of the deal dashboard and the executive summary, for one run, in a fixed number of queries.

- per-domain counts (facts; gaps by importance; findings by severity) — three GROUP BY queries;
- coverage per domain: share of the domain's checklist topics the data room answers, graded A–F;
- cost roll-up (low–high) by domain and by phase — one GROUP BY query;
- the target–buyer overlap map per function (domain + category) from the facts.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from dealiq.checklist import checklist_topics
from dealiq.checklist import coverage_grade as engine_grade  # the offline engine's own scale
from dealiq.domains import DOMAINS
from deals.models import Entity

from ..models import AnalysisRun, Fact, Finding, Gap, Importance, Phase, ReviewDecision, Severity
from .reviews import with_reviewed_values

SEVERITY_ORDER = [s.value for s in Severity]
IMPORTANCE_ORDER = [i.value for i in Importance]
PHASE_ORDER = [p.value for p in Phase]


NOT_ANALYSED = "not analysed"


def coverage_grade(share: float | None) -> str:
    """dealiq.checklist's scale (A ≥ 90 %, B ≥ 75 %, C ≥ 60 %, D ≥ 40 %, else F); "–" without a share."""
    return "–" if share is None else engine_grade(share)


def checklist_topic_count(domain: str) -> int | None:
    try:
        return len(checklist_topics(domain)) or None
    except Exception:  # an unknown domain in an older catalogue must not break the page
        return None


@dataclass
class DomainRow:
    key: str
    label: str
    facts: int = 0
    gaps: dict[str, int] = field(default_factory=lambda: dict.fromkeys(IMPORTANCE_ORDER, 0))
    findings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITY_ORDER, 0))
    answered_topics: int = 0
    open_topics: int = 0
    cost_low: int = 0
    cost_high: int = 0
    coverage: float | None = None
    grade: str = "–"
    analysed: bool = True

    @property
    def gap_total(self) -> int:
        return sum(self.gaps.values())

    @property
    def finding_total(self) -> int:
        return sum(self.findings.values())


def domain_rows(run: AnalysisRun) -> list[DomainRow]:
    rows = {d.key: DomainRow(d.key, d.label) for d in DOMAINS}
    facts = Fact.objects.for_run(run)
    for r in facts.values("domain").annotate(n=Count("id"), topics=Count("category", distinct=True, filter=Q(entity=Entity.TARGET))):
        rows[r["domain"]].facts = r["n"]
        rows[r["domain"]].answered_topics = r["topics"]
    for r in Gap.objects.for_run(run).unanswered().values("domain", "importance").annotate(
        n=Count("id"), target_topics=Count("category", distinct=True, filter=Q(entity=Entity.TARGET))
    ):
        rows[r["domain"]].gaps[r["importance"]] = r["n"]
        rows[r["domain"]].open_topics += r["target_topics"]
    for r in reviewed_findings(run).values("domain", "reviewed_severity").annotate(n=Count("id")):
        rows[r["domain"]].findings[r["reviewed_severity"]] = r["n"]
    for domain, costs in cost_pivot(run).items():
        rows[domain].cost_low = sum(c[0] for c in costs.values())
        rows[domain].cost_high = sum(c[1] for c in costs.values())
    analysed = run.analysed_domains()
    for row in rows.values():
        if row.key not in analysed:
            # No facts because nobody looked, not because the data room answers everything.
            row.analysed, row.coverage, row.grade = False, None, NOT_ANALYSED
            continue
        topics = checklist_topic_count(row.key)
        if topics:
            # Checklist known: every target gap category is one unanswered checklist topic.
            row.coverage = max(0.0, 1 - min(row.open_topics, topics) / topics)
        elif row.answered_topics + row.open_topics:
            row.coverage = row.answered_topics / (row.answered_topics + row.open_topics)
        row.grade = coverage_grade(row.coverage)
    return list(rows.values())


def cost_pivot(run: AnalysisRun) -> dict[str, dict[str, tuple[int, int]]]:
    """domain → phase → (sum low, sum high) of the run's findings that carry a cost (reviewed values)."""
    pivot: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for r in (
        reviewed_findings(run)
        .filter(Q(reviewed_cost_low__isnull=False) | Q(reviewed_cost_high__isnull=False))
        .values("domain", "reviewed_phase")
        .annotate(low=Sum("reviewed_cost_low"), high=Sum("reviewed_cost_high"))
    ):
        pivot[r["domain"]][r["reviewed_phase"]] = (r["low"] or 0, r["high"] or r["low"] or 0)
    return pivot


def reviewed_findings(run: AnalysisRun):
    """The run's findings as the deal team reviewed them (analysis/services/reviews.py), dismissed ones
    left out: what the dashboard's counts and cost roll-ups add up."""
    return with_reviewed_values(Finding.objects.for_run(run).order_by()).exclude(review_decision=ReviewDecision.DISMISSED)


def cost_by_phase(run: AnalysisRun, pivot=None) -> list[dict]:
    pivot = pivot if pivot is not None else cost_pivot(run)
    labels = dict(Phase.choices)
    totals = {p: [0, 0] for p in PHASE_ORDER}
    for phases in pivot.values():
        for phase, (low, high) in phases.items():
            totals[phase][0] += low
            totals[phase][1] += high
    return [{"phase": p, "label": labels[p], "low": totals[p][0], "high": totals[p][1]} for p in PHASE_ORDER]


def run_currency(run: AnalysisRun) -> str:
    # order_by(): Finding's default ordering would otherwise enter the DISTINCT and repeat a currency.
    currencies = list(
        Finding.objects.for_run(run).exclude(cost_low__isnull=True).order_by().values_list("currency", flat=True).distinct()[:2]
    )
    return currencies[0] if len(currencies) == 1 else ("mixed" if currencies else "USD")


# --- target–buyer overlap -----------------------------------------------------------------------

_VERSION = re.compile(r"\b(v?\d+(?:[.\-]\d+)*[a-z]?(?:\s*(?:r\d+|sp\d+|ehp\s*\d+))?)\b", re.I)
_NOISE = re.compile(r"[^a-z0-9]+")

SAME = "same platform"
DIFFERENT = "different platform"
VERSION_GAP = "version gap"
TARGET_ONLY = "only target"
BUYER_ONLY = "only buyer"


def domain_and_cost_context(run: AnalysisRun) -> dict:
    """What the dashboard and the executive summary both show: domain rows and the cost roll-ups."""
    rows = domain_rows(run)
    return {
        "domain_rows": rows,
        "phase_costs": cost_by_phase(run, cost_pivot(run)),
        "cost_total_low": sum(r.cost_low for r in rows),
        "cost_total_high": sum(r.cost_high for r in rows),
        "currency": run_currency(run),
    }


def _platform_and_version(item: str, details: dict) -> tuple[str, str]:
    details = details if isinstance(details, dict) else {}
    name = str(details.get("product") or details.get("platform") or details.get("name") or item or "")
    vendor = str(details.get("vendor") or "")
    version = str(details.get("version") or details.get("release") or "")
    if not version:
        match = _VERSION.search(name)
        version = match.group(1) if match else ""
    base = _VERSION.sub(" ", name)
    if vendor and base.casefold().lstrip().startswith(vendor.casefold()):
        vendor = ""  # "SAP" + "SAP ECC" must not become "sap sap ecc"
    platform = _NOISE.sub(" ", f"{vendor} {base}".casefold()).strip()
    return platform, version.strip().casefold()


@dataclass
class OverlapRow:
    domain: str
    function: str
    target: list[str]
    buyer: list[str]
    status: str


def overlap_map(run: AnalysisRun) -> list[OverlapRow]:
    """Per function (domain + category): what the target and the buyer run, and how they compare."""
    sides: dict[tuple[str, str], dict[str, list[tuple[str, str, str]]]] = defaultdict(lambda: {"target": [], "buyer": []})
    for domain, category, entity, item, details in (
        Fact.objects.for_run(run).order_by("domain", "category", "id").values_list("domain", "category", "entity", "item", "details")
    ):
        platform, version = _platform_and_version(item, details)
        sides[(domain, category)][entity].append((platform, version, item))
    labels = {d.key: d.label for d in DOMAINS}
    rows = []
    for (domain, category), found in sides.items():
        target, buyer = found["target"], found["buyer"]
        if not buyer:
            status = TARGET_ONLY
        elif not target:
            status = BUYER_ONLY
        else:
            target_platforms = {p: v for p, v, _ in target}
            shared = [p for p, _, _ in buyer if p in target_platforms]
            if not shared:
                status = DIFFERENT
            elif any(v and target_platforms[p] and v != target_platforms[p] for p, v, _ in buyer if p in target_platforms):
                status = VERSION_GAP
            else:
                status = SAME
        rows.append(OverlapRow(labels.get(domain, domain), category, [i for _, _, i in target], [i for _, _, i in buyer], status))
    return rows


def severity_chart(rows: list[DomainRow], width: int = 560, bar: int = 18, gap: int = 10) -> dict:
    """Geometry of a server-rendered stacked bar chart: findings by severity per domain (SVG, no JS)."""
    label_w, right = 130, 40
    most = max((r.finding_total for r in rows), default=0) or 1
    scale = (width - label_w - right) / most
    bars = []
    for i, r in enumerate(rows):
        y = i * (bar + gap)
        x = label_w
        segments = []
        for sev in SEVERITY_ORDER:
            n = r.findings[sev]
            if n:
                w = max(1.0, n * scale)
                segments.append({"x": round(x, 1), "w": round(w, 1), "severity": sev, "n": n})
                x += w
        bars.append({"y": y, "label": r.label, "total": r.finding_total, "segments": segments, "end": round(x + 4, 1), "text_y": y + bar - 5})
    return {"width": width, "height": len(rows) * (bar + gap), "bar": bar, "bars": bars, "severities": SEVERITY_ORDER}
