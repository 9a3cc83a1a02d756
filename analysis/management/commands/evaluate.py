"""Score a completed run against an answer key (samples/eval-rooms/KEY-FORMAT.md)."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from analysis.models import AnalysisRun
from analysis.services.evaluation import (
    RunNotScorable,
    evaluate_run,
    run_summary,
    usage_line,
)
from dealiq.evaluation import AnswerKeyError, load_key, render_table


class Command(BaseCommand):
    help = (
        "Score a completed analysis run against an answer-key.json: recall and precision of facts, gaps and "
        "findings per domain, severity agreement, contradictions, injection canaries and grounding."
    )

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int, help="The run's id (as in the admin), not its number within the deal.")
        parser.add_argument("answer_key", help="Path to an answer-key.json.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the results as JSON.")
        parser.add_argument("--verbose", action="store_true", help="Also list unmatched key items and run items.")

    def handle(self, *args, run_id: int, answer_key: str, as_json: bool = False, verbose: bool = False, **options):
        run = AnalysisRun.objects.select_related("deal").filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"run {run_id} does not exist")
        try:
            key = load_key(answer_key)
            card = evaluate_run(run, key)
        except (AnswerKeyError, RunNotScorable) as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(_dumps({"run": run_summary(run), **card.as_dict(verbose=verbose)}))
            return
        self.stdout.write(f"Run {run.pk}: deal “{run.deal.name}” run {run.number}, engine {run.engine} {run.model}".rstrip())
        if run.calls:
            self.stdout.write(usage_line(run))
        self.stdout.write(render_table(card, verbose=verbose))


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
