"""Start an analysis run of a deal and follow it to the end (either stack)."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analysis.management.run_follow import RunFollower, summary_table
from analysis.models import Priority, RunStatus
from analysis.services.runs import RunStateError
from deals.models import Deal
from workers.pipeline import start_run


class Command(BaseCommand):
    help = (
        "Analyse a deal: start a run, print progress per step and a summary per domain. "
        "With --all --batch NAME: start one run per deal with documents, grouped in a batch."
    )

    def add_arguments(self, parser):
        parser.add_argument("deal_id", type=int, nargs="?")
        parser.add_argument("--all", action="store_true", help="Every deal with documents (needs --batch).")
        parser.add_argument("--batch", help="Name of the batch grouping the runs (see /deals/batches/<id>/).")
        parser.add_argument("--domains", help="Comma-separated domains (default: all six).")
        parser.add_argument("--no-wait", action="store_true", help="Return at once with the run number.")
        parser.add_argument("--engine", help=f"Engine to use (default: {settings.DEALIQ_ENGINE}).")
        parser.add_argument("--priority", choices=Priority.values, default=Priority.NORMAL)
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait for workers.")
        parser.add_argument(
            "--fresh", action="store_true",
            help="A full run: every step calls its engine, even where an earlier completed run had the same "
            "inputs (by default such steps reuse its results).",
        )

    def handle(self, *args, deal_id: int, no_wait: bool, engine: str | None, priority: str, timeout: float, **opts):
        if opts.get("all") or opts.get("batch"):
            return self.handle_batch(deal_id, engine=engine, priority=priority, **opts)
        if deal_id is None:
            raise CommandError("give a deal id, or --all --batch NAME")
        try:
            deal = Deal.objects.get(pk=deal_id)
        except Deal.DoesNotExist:
            raise CommandError(f"deal {deal_id} does not exist") from None
        if not deal.documents.exists():
            raise CommandError(f"deal {deal_id} has no documents: import a data room first (import_dataroom)")
        return run_and_report(
            self, deal, no_wait=no_wait, engine=engine, priority=priority, timeout=timeout, domains=_domains(opts),
            fresh=opts.get("fresh", False),
        )

    def handle_batch(self, deal_id, *, engine, priority, **opts):
        """Queue the runs and return at once: follow the batch on its page (workers do the work)."""
        from workers.pipeline import start_batch

        if not opts.get("batch"):
            raise CommandError("--all needs --batch NAME")
        if not opts.get("all") and deal_id is None:
            raise CommandError("give a deal id or --all")
        deals = Deal.objects.all() if opts.get("all") else Deal.objects.filter(pk=deal_id)
        domains = _domains(opts)
        try:
            started = start_batch(
                deals.order_by("pk"), name=opts["batch"], priority=priority, engine=engine, domains=domains,
                fresh=opts.get("fresh", False),
            )
        except (ValueError, RunStateError) as exc:
            raise CommandError(str(exc)) from None
        batch = started.batch
        self.stdout.write(
            f"Batch {batch.pk} '{batch.name}': {len(started.runs)} run(s) queued at {priority} priority"
            + (f", {len(started.skipped)} deal(s) without documents skipped" if started.skipped else "")
        )
        self.stdout.write(f"Progress: /deals/batches/{batch.pk}/")


def _domains(opts) -> list[str] | None:
    return [d.strip() for d in opts["domains"].split(",") if d.strip()] if opts.get("domains") else None


def run_and_report(
    command: BaseCommand, deal, *, no_wait=False, engine=None, priority=Priority.NORMAL, timeout=3600, user=None,
    domains: list[str] | None = None, fresh: bool = False,
):
    out = command.stdout
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    try:
        with RunFollower(out.write) as follower:
            out.write(f"Analysing deal {deal.pk} ({deal.name}) " + ("in-process (eager)" if eager else "on the workers"))
            run = start_run(deal, triggered_by=user, engine=engine, priority=priority, domains=domains, fresh=fresh)
            out.write(f"Run {run.number}: engine {run.engine} {run.model}" + (" (fresh: nothing reused)" if fresh else "")
                      + ("" if eager else " — waiting for workers"))
            if no_wait:
                return f"{run.number}\n"
            run = follower.wait(run, timeout=timeout)
    except TimeoutError as exc:
        raise CommandError(f"{exc}: are workers running? (celery -A config worker)") from None
    except (ValueError, RunStateError) as exc:  # unknown engine or domain, not enough disk…
        raise CommandError(str(exc)) from None
    out.write("")
    out.write(summary_table(run))
    reused = run.steps.filter(status="reused").count()
    if reused:
        out.write(f"{reused} of {run.steps_total} steps reused the results of an earlier run with the same inputs "
                  "(no model call); --fresh runs every step.")
    style = command.style.SUCCESS if run.status == RunStatus.COMPLETED else command.style.ERROR
    out.write(style(f"Run {run.number}: {run.status}" + (f" — {run.error}" if run.error else "")))
    if run.status != RunStatus.COMPLETED:
        raise CommandError(f"run {run.number} ended {run.status}")
    return None

