"""Creating runs and moving them through their state machine.

Transitions are conditional UPDATEs (`… WHERE status IN (…)`): two workers or a double click cannot
both make the same transition; the loser sees 0 rows changed.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dealiq.domains import DOMAIN_KEYS
from deals.models import Document

from ..models import (
    STEP_ORDER,
    AnalysisRun,
    EventSeverity,
    Priority,
    RunStatus,
    RunStep,
    StepStatus,
)
from .audit import record_event


class RunStateError(Exception):
    """A transition that does not apply to the run's current status; the message says why."""


def document_manifest(deal) -> list[dict]:
    docs = Document.objects.for_deal(deal).newest_readable().order_by("entity", "filename", "id")
    return [
        {
            "id": d.pk,
            "sha256": d.sha256,
            "filename": d.filename,
            "entity": d.entity,
            "version": d.version,
            "pages": d.page_count,
        }
        for d in docs
    ]


@transaction.atomic
def create_run(
    deal,
    *,
    engine: str,
    model: str = "",
    domains: list[str] | None = None,
    triggered_by=None,
    batch=None,
    priority: str = Priority.NORMAL,
    needs_documents: bool = True,
) -> AnalysisRun:
    """The run row, its manifest and its steps, in one transaction. Dispatch is the caller's job.

    `needs_documents=False` is for a run whose results come from elsewhere (an imported analysis)."""
    domains = list(domains or DOMAIN_KEYS)
    unknown = sorted(set(domains) - set(DOMAIN_KEYS))
    if unknown:
        raise RunStateError(f"unknown domain(s): {', '.join(unknown)}")
    # Lock the deal row so two concurrent starts cannot both take the same run number.
    type(deal).all_objects.select_for_update().filter(pk=deal.pk).first()
    manifest = document_manifest(deal)
    if not manifest and needs_documents:
        # Nothing to read: a run would "complete" with every checklist topic as a gap.
        raise RunStateError(
            "this deal has no readable documents yet: upload the data room (or wait for text extraction) first"
        )
    number = (AnalysisRun.objects.filter(deal=deal).aggregate(n=Max("number"))["n"] or 0) + 1
    run = AnalysisRun.objects.create(
        deal=deal,
        number=number,
        engine=engine,
        model=model,
        domains=domains,
        document_manifest=manifest,
        steps_total=len(domains) * len(STEP_ORDER),
        triggered_by=triggered_by if getattr(triggered_by, "is_authenticated", False) else None,
        batch=batch,
        priority=priority,
    )
    RunStep.objects.bulk_create(
        [RunStep(run=run, domain=domain, kind=kind) for domain in domains for kind in STEP_ORDER]
    )
    record_event(
        "run.created",
        actor=triggered_by,
        run=run,
        obj=run,
        data={"number": number, "engine": engine, "model": model, "documents": len(manifest)},
    )
    return run


def mark_running(run_id: int) -> bool:
    """queued → running, the first time a step is claimed."""
    now = timezone.now()
    changed = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if changed:
        record_event("run.started", run=AnalysisRun.objects.get(pk=run_id))
    return bool(changed)


@dataclass(frozen=True)
class TransitionResult:
    changed: bool
    message: str


def cancel_run(run: AnalysisRun, *, actor=None) -> TransitionResult:
    """queued/running → cancelled. Running steps notice at their fence and persist nothing."""
    with transaction.atomic():
        changed = AnalysisRun.objects.filter(
            pk=run.pk, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
        ).update(status=RunStatus.CANCELLED, completed_at=timezone.now())
        if changed:
            # A step still inside the engine fails its fence at persist (run cancelled, step no longer
            # running) and writes nothing; pending ones are skipped at claim.
            # A step waiting for its message batch keeps the batch id: a re-queue picks up its results.
            interrupted = RunStep.objects.filter(
                run_id=run.pk, status__in=(StepStatus.RUNNING, StepStatus.WAITING)
            ).update(status=StepStatus.PENDING, error="cancelled while running")
            record_event(
                "run.cancelled",
                actor=actor,
                run=run,
                obj=run,
                severity=EventSeverity.WARNING,
                data={"interrupted_steps": interrupted},
            )
    run.refresh_from_db()
    if not changed:
        return TransitionResult(False, f"Run {run.number} is {run.status}: only queued or running runs can be cancelled.")
    return TransitionResult(True, f"Run {run.number} cancelled.")
