"""Re-queue failed / cancelled runs, or stalled ones (running, no live worker), from a terminal: only
their unfinished steps run again. `--stalled` is the recovery for a stuck run when beat is not running."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from analysis.models import AnalysisRun, RunStatus
from analysis.services.lifecycle import run_has_live_worker
from analysis.services.runs import RunStateError
from analysis.services.steps import forget_saved_answers
from workers.pipeline import REQUEUEABLE, requeue_run


class Command(BaseCommand):
    help = ("Re-queue runs by status (failed or cancelled), or --stalled (queued/running with no live worker), "
            "optionally only those of a batch or a deal.")

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=[s.value for s in REQUEUEABLE], default=RunStatus.FAILED)
        parser.add_argument(
            "--stalled", action="store_true",
            help="Re-queue running runs that no live worker is on (instead of --status).",
        )
        parser.add_argument("--batch", type=int, help="Only runs of this batch id.")
        parser.add_argument("--deal", type=int, help="Only runs of this deal id.")
        parser.add_argument("--dry-run", action="store_true", help="List the runs, change nothing.")
        parser.add_argument(
            "--fresh-answers",
            action="store_true",
            help="Forget the model answers the unfinished steps already paid for, so they call the model again "
            "(by default a re-queued step replays them, e.g. after a failure on invalid output).",
        )

    def handle(self, *args, status: str, batch: int | None, deal: int | None, dry_run: bool, stalled: bool = False,
               fresh_answers: bool = False, **opts):
        statuses = (RunStatus.RUNNING,) if stalled else (status,)
        runs = AnalysisRun.objects.filter(status__in=statuses).select_related("deal").order_by("deal_id", "number")
        if batch is not None:
            runs = runs.filter(batch_id=batch)
        if deal is not None:
            runs = runs.filter(deal_id=deal)
        runs = [run for run in runs if not (stalled and run_has_live_worker(run))]
        if stalled:
            status = "stalled"
        if not runs:
            # Nothing to do is not an error: a nightly cron job must not alert on a good night.
            self.stdout.write(f"nothing to re-queue: no {status} runs match")
            return
        requeued = 0
        for run in runs:
            if dry_run:
                self.stdout.write(f"would re-queue deal {run.deal_id} ({run.deal.name}) run {run.number}: {run.error[:100]}")
                continue
            if fresh_answers:
                forget_saved_answers(run)
            try:
                result = requeue_run(run, actor=None)
            except RunStateError as exc:  # e.g. the disk preflight: the rest would be refused alike
                raise CommandError(f"{requeued} run(s) re-queued, then stopped: {exc}") from exc
            requeued += result.changed
            self.stdout.write(f"deal {run.deal_id} ({run.deal.name}): {result.message}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"{requeued} of {len(runs)} run(s) re-queued."))
