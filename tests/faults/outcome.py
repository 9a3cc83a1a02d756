"""What a fault-suite run ended as: status, per-domain counts, real row counts and duplicate keys."""
from __future__ import annotations

from django.db.models import Count

from analysis.models import AnalysisRun, Fact, Finding, Gap, RunStep
from audit.models import AuditEvent

PAGES = {
    "target": [
        "The target runs SAP ECC 6.0 on premises with Windows Server 2012 R2 and Oracle Database 11g. "
        "Active Directory on Windows Server 2008 R2 handles identity; there is no MFA. A Cisco ASA 5505 "
        "firewall protects the network, and backups go to tape weekly.",
    ],
    "buyer": ["The buyer standardises on Microsoft 365 and Entra ID with Okta SSO, Azure and ServiceNow."],
}


def start_runs(n: int, domains: list[str], *, prefix: str) -> list[int]:
    from tests.factories import make_small_deal
    from workers.pipeline import start_run

    return [start_run(make_small_deal(f"{prefix} {i}", pages=PAGES), engine="offline", domains=domains).pk
            for i in range(n)]


def run_outcome(run_id: int) -> dict:
    run = AnalysisRun.objects.get(pk=run_id)
    rows, duplicates = {}, 0
    for model, label in ((Fact, "facts"), (Gap, "gaps"), (Finding, "findings")):
        qs = model.objects.filter(run_id=run_id)
        rows[label] = qs.count()
        duplicates += sum(r["n"] - 1 for r in qs.values("key").annotate(n=Count("id")).filter(n__gt=1))
    steps = list(RunStep.objects.filter(run_id=run_id).values("status", "attempts"))
    done_events = AuditEvent.objects.filter(run_id=run_id, event_type="step.done").count()
    return {
        "id": run_id,
        "status": run.status,
        "error": run.error,
        "counts": run.counts,
        "rows": rows,
        "duplicates": duplicates,
        "steps_done": sum(s["status"] == "done" for s in steps),
        "steps": len(steps),
        "done_events": done_events,
        "auto_requeues": run.auto_requeue_count,
        "completed_at": run.completed_at.timestamp() if run.completed_at else None,
        "created_at": run.created_at.timestamp(),
    }


def compare(outcome: dict, baseline: dict) -> list[str]:
    """Every way an outcome differs from the undisturbed run's."""
    problems = []
    if outcome["status"] != "completed":
        problems.append(f"run {outcome['id']} is {outcome['status']} ({outcome['error'][:200]})")
    if outcome["counts"] != baseline["counts"] or outcome["rows"] != baseline["rows"]:
        problems.append(f"run {outcome['id']} counts {outcome['counts']} rows {outcome['rows']}, "
                        f"undisturbed {baseline['counts']} {baseline['rows']}")
    if outcome["duplicates"]:
        problems.append(f"run {outcome['id']} has {outcome['duplicates']} duplicate row(s)")
    if outcome["steps_done"] != outcome["steps"] or outcome["done_events"] != outcome["steps"]:
        problems.append(f"run {outcome['id']}: {outcome['steps_done']}/{outcome['steps']} steps done, "
                        f"{outcome['done_events']} step.done events")
    return problems
