"""Finalize: the run's last transition, exactly once (conditional UPDATE on status)."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.dispatch import Signal
from django.utils import timezone

from ..models import AnalysisRun, EventSeverity, Fact, Finding, Gap, RunStatus, RunStep, StepStatus
from .audit import record_event, truncate_error
from .gap_answers import record_answered_gaps
from .steps import all_domains_finished

# Sent on commit when a run reaches completed or failed (notifications listen).
run_finished = Signal()


def _counts_by_domain(run: AnalysisRun) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {d: {"facts": 0, "gaps": 0, "findings": 0} for d in run.domains}
    querysets = ((Fact.objects, "facts"), (Gap.objects.unanswered(), "gaps"), (Finding.objects, "findings"))
    for manager, label in querysets:
        for row in manager.for_run(run).values("domain").annotate(n=Count("id")):
            counts.setdefault(row["domain"], {"facts": 0, "gaps": 0, "findings": 0})[label] = row["n"]
    return counts


def finalize_run(run_id: int) -> str:
    """running → completed (every step done) or failed (some step failed). Returns what happened."""
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return f"skipped: run is {run.status}"
        if not all_domains_finished(run):
            return "skipped: domains still running"
        failed = list(RunStep.objects.filter(run=run, status=StepStatus.FAILED).order_by("domain", "id"))
        answered = record_answered_gaps(run)
        counts = _counts_by_domain(run)
        run.counts = counts
        run.fact_count = sum(c["facts"] for c in counts.values())
        run.gap_count = sum(c["gaps"] for c in counts.values())
        run.finding_count = sum(c["findings"] for c in counts.values())
        run.completed_at = timezone.now()
        if failed:
            run.status = RunStatus.FAILED
            run.error = truncate_error(
                "; ".join(f"{s.domain}/{s.kind}: {s.error}" for s in failed)
            )
        else:
            run.status = RunStatus.COMPLETED
            run.progress = 100
            run.error = ""
        run.save()
        record_event(
            f"run.{run.status}",
            run=run,
            obj=run,
            severity=EventSeverity.ERROR if failed else EventSeverity.INFO,
            data={
                "facts": run.fact_count, "gaps": run.gap_count, "findings": run.finding_count,
                "gaps_answered": answered, "error": run.error,
            },
        )
        status = run.status
        transaction.on_commit(lambda: run_finished.send(sender=AnalysisRun, run_id=run_id, status=status))
    return status
