"""Creating runs (their rows, manifest and steps). Moving them through their states: lifecycle.py."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from audit.services import record_event
from dealiq.domains import DOMAIN_KEYS
from deals.models import Document

from ..models import STEP_ORDER, AnalysisRun, Priority, RunStep


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
    fresh: bool = False,
) -> AnalysisRun:
    """The run row, its manifest and its steps, in one transaction. Dispatch is the caller's job.

    `needs_documents=False` is for a run whose results come from elsewhere (an imported analysis).
    `fresh=True`: every step calls its engine, none reuses an earlier run's results (services/reuse.py)."""
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
        fresh=fresh,
    )
    RunStep.objects.bulk_create(
        [RunStep(run=run, domain=domain, kind=kind) for domain in domains for kind in STEP_ORDER]
    )
    record_event(
        "run.created",
        actor=triggered_by,
        run=run,
        obj=run,
        data={"number": number, "engine": engine, "model": model, "documents": len(manifest), "fresh": fresh},
    )
    return run


# The run's transitions live in the lifecycle module; these names stay importable from here.
from .lifecycle import TransitionResult, cancel_run, mark_running  # noqa: E402,F401
