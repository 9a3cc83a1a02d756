"""The executive summary's key messages for one run: what a deal team reads first.

- top risks by (reviewed) severity, with their cost and phase;
- Day-1 blockers: critical or high findings that must be solved for Day 1;
- TSA exposure: what the buyer depends on the seller for after closing, and its cost;
- coverage of the analysed domains only (a domain the run did not analyse is not graded);
- the run's scope: a run that did not complete over every domain says so.

Findings the deal team dismissed in review are left out; reviewed severity, phase and cost are used.
A fixed number of queries (dashboard counts + one for findings + one for steps + one for gaps).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from dealiq.domains import DOMAINS
from deals.models import Entity

from ..models import AnalysisRun, Finding, FindingType, Gap, Importance, Phase, RunStatus, RunStep, Severity, StepStatus
from . import dashboard
from .reviewed_values import Reviewed, reviewed
from .reviews import with_reviewed_values

TOP_RISKS = 5
SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}
DOMAIN_LABELS = {d.key: d.label for d in DOMAINS}


@dataclass
class Item:
    """A finding as the summary shows it (reviewed values)."""

    pk: int
    title: str
    domain: str
    finding_type: str
    values: Reviewed
    currency: str
    mitigation: str

    @property
    def domain_label(self) -> str:
        return DOMAIN_LABELS.get(self.domain, self.domain)

    @property
    def cost_text(self) -> str:
        return cost_text(self.values.cost_low, self.values.cost_high, self.currency)


def cost_text(low, high, currency: str) -> str:
    if low is None and high is None:
        return ""
    low, high = low or 0, high if high is not None else low
    return f"{currency} {low:,}" if low == high else f"{currency} {low:,}–{high:,}"


@dataclass
class KeyMessages:
    run: AnalysisRun
    analysed_rows: list
    not_analysed: list[str]
    failed_domains: list[str]
    top_risks: list[Item]
    risk_counts: dict[str, int]
    day1_blockers: list[Item]
    tsa_items: list[Item]
    tsa_low: int
    tsa_high: int
    currency: str
    cost_total_low: int
    cost_total_high: int
    critical_requests_open: int
    requests_answered: int
    messages: list[str] = field(default_factory=list)

    @property
    def scope_warnings(self) -> list[str]:
        """What makes this run's picture incomplete, said at the top of the PDF."""
        warnings = []
        if self.run.status != RunStatus.COMPLETED:
            warnings.append(f"Run {self.run.number} {self.run.get_status_display().lower()}: the results are partial.")
        if self.failed_domains:
            warnings.append("Failed or partial domains: " + ", ".join(self.failed_domains) + ".")
        if self.not_analysed:
            warnings.append("Not analysed in this run: " + ", ".join(self.not_analysed) + ".")
        return warnings

    @property
    def coverage_share(self) -> float | None:
        shares = [r.coverage for r in self.analysed_rows if r.coverage is not None]
        return sum(shares) / len(shares) if shares else None


def _items(run: AnalysisRun) -> list[Item]:
    qs = with_reviewed_values(Finding.objects.for_run(run)).only(
        "id", "title", "domain", "finding_type", "severity", "phase", "cost_low", "cost_high", "currency",
        "mitigation", "key", "deal_id", "run_id",
    )
    items = []
    for f in qs.order_by("id"):
        values = reviewed(f)
        if values.decision == "dismissed":
            continue
        items.append(Item(f.pk, f.title, f.domain, f.finding_type, values, f.currency, f.mitigation))
    return items


def _cost_key(item: Item) -> tuple:
    return (SEVERITY_RANK.get(item.values.severity, 9), -(item.values.cost_high or item.values.cost_low or 0), item.pk)


def key_messages(run: AnalysisRun, context: dict | None = None) -> KeyMessages:
    """`context`: the dashboard's domain_and_cost_context(run) when the caller already has it."""
    context = context or dashboard.domain_and_cost_context(run)
    steps = RunStep.objects.filter(run=run).values("domain").annotate(failed=Count("id", filter=Q(status=StepStatus.FAILED)))
    failed = {s["domain"] for s in steps if s["failed"]}
    analysed = [d for d in run.domains if d not in failed]
    rows = [r for r in context["domain_rows"] if r.key in analysed]
    items = _items(run)
    risks = sorted((i for i in items if i.finding_type == FindingType.RISK), key=_cost_key)
    day1 = sorted(
        (i for i in items if i.values.phase == Phase.DAY_1 and i.values.severity in (Severity.CRITICAL, Severity.HIGH)),
        key=_cost_key,
    )
    tsa = sorted((i for i in items if i.values.phase == Phase.TSA), key=_cost_key)
    gaps = Gap.objects.for_run(run).filter(entity=Entity.TARGET).aggregate(
        critical_open=Count("id", filter=Q(importance=Importance.CRITICAL, answered_at__isnull=True, resolved_at__isnull=True)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
    )
    messages = KeyMessages(
        run=run,
        analysed_rows=rows,
        not_analysed=[d.label for d in DOMAINS if d.key not in run.domains],
        failed_domains=[d.label for d in DOMAINS if d.key in failed],
        top_risks=risks[:TOP_RISKS],
        risk_counts={s.value: sum(1 for r in risks if r.values.severity == s.value) for s in Severity},
        day1_blockers=day1,
        tsa_items=tsa,
        tsa_low=sum(i.values.cost_low or 0 for i in tsa),
        tsa_high=sum((i.values.cost_high if i.values.cost_high is not None else i.values.cost_low) or 0 for i in tsa),
        currency=context["currency"],
        cost_total_low=sum(i.values.cost_low or 0 for i in items),
        cost_total_high=sum((i.values.cost_high if i.values.cost_high is not None else i.values.cost_low) or 0 for i in items),
        critical_requests_open=gaps["critical_open"],
        requests_answered=gaps["answered"],
    )
    messages.messages = _sentences(messages)
    return messages


def _sentences(km: KeyMessages) -> list[str]:
    out = []
    counts = km.risk_counts
    if km.top_risks:
        top = km.top_risks[0]
        cost = f", {top.cost_text}" if top.cost_text else ""
        out.append(
            f"{counts['critical']} critical and {counts['high']} high risks. The most severe: {top.title} "
            f"({top.domain_label}, {top.values.phase_label}{cost})."
        )
    else:
        out.append("No risks identified in the analysed domains.")
    if km.day1_blockers:
        names = "; ".join(i.title for i in km.day1_blockers[:3])
        more = f" and {len(km.day1_blockers) - 3} more" if len(km.day1_blockers) > 3 else ""
        out.append(f"{len(km.day1_blockers)} Day-1 blocker{'s' if len(km.day1_blockers) != 1 else ''}: {names}{more}.")
    else:
        out.append("No Day-1 blockers.")
    if km.tsa_items:
        cost = cost_text(km.tsa_low, km.tsa_high, km.currency)
        out.append(
            f"TSA exposure: {len(km.tsa_items)} item{'s' if len(km.tsa_items) != 1 else ''}"
            f"{', ' + cost if cost and km.tsa_high else ''} — {km.tsa_items[0].title}"
            f"{' and others' if len(km.tsa_items) > 1 else ''}."
        )
    else:
        out.append("No TSA dependencies identified.")
    share = km.coverage_share
    if km.analysed_rows:
        graded = [r for r in km.analysed_rows if r.coverage is not None and r.grade != "A"]
        weakest = sorted(graded, key=lambda r: r.coverage)[:2]
        weak = "; weakest: " + ", ".join(f"{r.label} ({r.grade})" for r in weakest) if weakest else ""
        pct = f"{share:.0%} of checklist topics answered" if share is not None else "coverage not graded"
        out.append(
            f"Coverage over {len(km.analysed_rows)} analysed domain{'s' if len(km.analysed_rows) != 1 else ''}: {pct}{weak}. "
            f"{km.critical_requests_open} critical document request{'s' if km.critical_requests_open != 1 else ''} open"
            f"{f', {km.requests_answered} answered by documents added since the last run' if km.requests_answered else ''}."
        )
    if km.cost_total_high:
        out.append(f"One-off cost estimate: {cost_text(km.cost_total_low, km.cost_total_high, km.currency)}.")
    return out
