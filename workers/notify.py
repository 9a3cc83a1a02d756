"""What happens after a run finishes (completed, failed, stalled, cancelled): the batch is recounted,
the user who started it is notified in-app, the webhook is told. Never allowed to fail the run."""
from __future__ import annotations

import logging

from analysis.models import AnalysisBatch, AnalysisRun
from analysis.services.batches import refresh_batch
from analysis.services.notifications import batch_payload, notify_batch_finished, notify_run_finished, run_payload

from .webhooks import send_webhook

logger = logging.getLogger("dealiq.notify")


def after_run_finished(run_id: int) -> None:
    try:
        run = AnalysisRun.objects.select_related("deal").get(pk=run_id)
        notify_run_finished(run)
        send_webhook(run_payload(run))
        if run.batch_id and refresh_batch(run.batch_id):
            batch = AnalysisBatch.objects.get(pk=run.batch_id)
            notify_batch_finished(batch)
            send_webhook(batch_payload(batch))
    except Exception:
        logger.exception("after-run notifications failed for run %s (the run itself is unaffected)", run_id)
