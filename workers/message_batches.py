"""Discovery through Anthropic's Message Batches API: half the price, answers within 24 hours.

For runs whose priority is in ANTHROPIC_MESSAGE_BATCH_PRIORITIES (default: `low`, the overnight
batches), a discovery step does not call the model itself:

1. first claim — it submits the calls it would make (one per document batch not yet saved) as one
   Message Batch, records the batch id on the step and parks it (`waiting`); the worker is free and
   the domain's chain stops there;
2. `poll_message_batches` (beat, every DEALIQ_MESSAGE_BATCH_POLL_SECONDS) asks the API about waiting
   steps' batches; once one has ended its steps go back to `pending` and their domain chain is sent
   again;
3. next claim — the step fetches the batch's results and runs discovery as usual with those answers
   `prefetched`: the same validation, repair, grounding, sub-checkpoints, usage and persistence as a
   direct call. An entry that errored or expired is simply called directly then.

Everything stays in the step row: a cancelled run keeps the batch id and a re-queue picks up its
results; a redelivered message finds the step waiting or done.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from analysis.models import AnalysisRun, RunStatus, RunStep, StepKind, StepStatus
from analysis.services.steps import Claim, park_for_message_batch, resume_waiting_step
from dealiq.errors import PermanentError, TransientError
from dealiq.schemas import DiscoveryRequest

from .engine_registry import engine_for
from .pipeline import dispatch_run

logger = logging.getLogger("dealiq.message_batches")


class ParkedForMessageBatch(Exception):
    """The step's calls are in a Message Batch: nothing to persist yet, the chain stops here."""

    def __init__(self, batch_id: str):
        super().__init__(f"waiting for message batch {batch_id}")
        self.batch_id = batch_id


def uses_message_batches(run: AnalysisRun, engine, kind: str) -> bool:
    return (
        kind != StepKind.REASON  # reasoning needs this run's facts now; it stays a direct call
        and run.priority in settings.ANTHROPIC_MESSAGE_BATCH_PRIORITIES
        and getattr(engine, "supports_message_batches", False)
    )


def custom_id(claim: Claim, batch_index: int) -> str:
    return f"run{claim.run_id}-step{claim.step_id}-b{batch_index}"


def _batch_index(custom_id_: str) -> int | None:
    _, _, index = custom_id_.rpartition("-b")
    return int(index) if index.isdigit() else None


def prefetch_or_park(claim: Claim, engine, request: DiscoveryRequest) -> None:
    """Fill `request.prefetched` from the step's ended batch, or submit / keep waiting (raises Parked)."""
    batch_id = RunStep.objects.filter(pk=claim.step_id).values_list("message_batch_id", flat=True).first()
    if not batch_id:
        wanted = engine.discovery_batch_requests(request)
        if not wanted:  # every batch already saved: nothing left to ask
            return
        batch_id = engine.submit_message_batch([(custom_id(claim, index), params) for index, params in wanted])
        logger.info("step %s: %d call(s) submitted as message batch %s", claim.step_id, len(wanted), batch_id)
        park_for_message_batch(claim, batch_id)
        raise ParkedForMessageBatch(batch_id)
    if not engine.message_batch_ended(batch_id):
        park_for_message_batch(claim, batch_id)  # claimed early (redelivery, re-queue): wait on
        raise ParkedForMessageBatch(batch_id)
    results = engine.message_batch_results(batch_id)
    request.prefetched = {
        index: result for key, result in results.items() if (index := _batch_index(key)) is not None
    }


def poll_message_batches() -> dict:
    """Resume the waiting steps whose message batch has ended. Returns what it did, for the logs."""
    report = {"checked": 0, "resumed": [], "errors": 0}
    waiting = RunStep.objects.filter(status=StepStatus.WAITING, run__status=RunStatus.RUNNING).select_related("run")
    ended: dict[str, bool] = {}
    for step in waiting.order_by("run_id", "id"):
        if step.message_batch_id not in ended:
            report["checked"] += 1
            try:
                ended[step.message_batch_id] = engine_for(step.run.engine).message_batch_ended(step.message_batch_id)
            except PermanentError as exc:
                report["errors"] += 1
                if getattr(exc, "kind", "") != "not_found":  # auth, configuration…: fix it, we ask again
                    logger.error("message batch %s: %s (asking again next round)", step.message_batch_id, exc)
                    ended[step.message_batch_id] = False
                    continue
                # The batch is gone at the provider (expired or deleted): the step submits its calls anew.
                logger.error("message batch %s: %s (the step submits anew)", step.message_batch_id, exc)
                RunStep.objects.filter(status=StepStatus.WAITING, message_batch_id=step.message_batch_id).update(
                    message_batch_id=""
                )
                ended[step.message_batch_id] = True
            except TransientError as exc:
                logger.warning("message batch %s: %s (asking again next round)", step.message_batch_id, exc)
                report["errors"] += 1
                ended[step.message_batch_id] = False
        if ended[step.message_batch_id]:
            with transaction.atomic():
                if resume_waiting_step(step):
                    transaction.on_commit(lambda run_id=step.run_id, domain=step.domain: dispatch_run(run_id, [domain]))
                    report["resumed"].append(step.pk)
    return report
