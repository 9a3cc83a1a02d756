"""Measure what DealIQ concludes on an evaluation room against its answer key.

    .venv/bin/python bench/evaluate.py --room samples/eval-rooms/<room> [--engine offline|anthropic] [--json] [--verbose]
    .venv/bin/python bench/evaluate.py --all [--engine …]      # every room under samples/eval-rooms with an answer-key.json

Each invocation works on a throwaway SQLite database in a temporary folder with Celery eager (the
embedded default), whatever DATABASE_URL or CELERY_BROKER_URL say: the room is imported the way
`demo` imports the sample deal (deals.dataroom_import.deal_from_folder), analysed with workers.pipeline.start_run,
and scored with dealiq.evaluation (see "Evaluation" in docs/engine.md for what each number means). The
results are also written to bench/results/evaluate-<engine>.json (git-ignored; --output elsewhere).

`--engine anthropic` needs ANTHROPIC_API_KEY (and honours ANTHROPIC_BASE_URL and ANTHROPIC_MODEL); it
also prints the run's calls, tokens and cost. Exit status: 0 when every room was measured, 1 when one
could not be (a malformed key, a room that would not import, a run that did not complete), 2 for bad
arguments (no room, no API key).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ROOT / "samples" / "eval-rooms"
ENGINES = ("offline", "anthropic")


class CouldNotMeasure(Exception):
    """This room produced no score; the message says why."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--room", type=Path, help="an evaluation room folder (deal.json, target/, buyer/, answer-key.json)")
    which.add_argument("--all", action="store_true", help=f"every room under {ROOMS.relative_to(ROOT)} with an answer-key.json")
    parser.add_argument("--engine", choices=ENGINES, default="offline")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--verbose", action="store_true", help="also list unmatched key items and run items")
    parser.add_argument("--output", type=Path, help="where to write the JSON results (default: bench/results/evaluate-<engine>.json)")
    return parser.parse_args(argv)


def rooms_to_measure(args: argparse.Namespace) -> list[Path]:
    if args.room:
        return [args.room]
    return sorted(p.parent for p in ROOMS.glob("*/answer-key.json"))


def configure_django(workdir: Path, engine: str) -> None:
    """The embedded default in `workdir`: SQLite, eager Celery, media and var there too."""
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(name, None)
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{workdir / 'evaluate.sqlite3'}",
        "DEALIQ_VAR_DIR": str(workdir / "var"),
        "MEDIA_ROOT": str(workdir / "media"),
        "DEALIQ_ENGINE": engine,
        # Eager mode has no beat to collect Message Batches: every call is a direct one.
        "ANTHROPIC_MESSAGE_BATCH_PRIORITIES": "none",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def measure(room: Path, engine: str, log) -> tuple[object, object]:
    """Import, analyse and score one room: (run, scorecard)."""
    from analysis.models import RunStatus
    from analysis.services.evaluation import evaluate_run
    from dealiq.evaluation import AnswerKeyError, load_key
    from deals.dataroom_import import DataRoomError, deal_from_folder
    from deals.models import Deal
    from workers.pipeline import start_run

    if not room.is_dir():
        raise CouldNotMeasure(f"{room} is not a folder")
    try:
        key = load_key(room / "answer-key.json")  # a malformed key fails before paying for an analysis
    except AnswerKeyError as exc:
        raise CouldNotMeasure(str(exc)) from None
    deals_before = set(Deal.objects.values_list("pk", flat=True))
    try:
        deal, outcomes = deal_from_folder(room)
    except DataRoomError as exc:
        raise CouldNotMeasure(f"{room}: {exc}") from None
    if deal.pk in deals_before:
        raise CouldNotMeasure(f"{room}: its deal.json names the deal of another room ({deal.name!r}); give it its own name")
    log(f"{room.name}: imported " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))
    log(f"{room.name}: analysing with the {engine} engine…")
    try:
        run = start_run(deal, engine=engine)
    except Exception as exc:  # noqa: BLE001 — eager mode propagates whatever a step raised; report it, go on
        raise CouldNotMeasure(f"{room}: the analysis raised {type(exc).__name__}: {exc}") from None
    run.refresh_from_db()
    if run.status != RunStatus.COMPLETED:
        raise CouldNotMeasure(f"{room}: run ended {run.status}" + (f" — {run.error}" if run.error else ""))
    return run, evaluate_run(run, key)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.engine == "anthropic" and not os.environ.get("ANTHROPIC_API_KEY"):
        print("--engine anthropic needs ANTHROPIC_API_KEY in the environment (ANTHROPIC_BASE_URL and "
              "ANTHROPIC_MODEL are honoured too); nothing was measured.", file=sys.stderr)
        return 2
    rooms = rooms_to_measure(args)
    if not rooms:
        print(f"no room under {ROOMS} has an answer-key.json; nothing was measured.", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results, failures = [], []
    with tempfile.TemporaryDirectory(prefix="dealiq-evaluate-") as workdir:
        configure_django(Path(workdir), args.engine)
        from analysis.services.evaluation import run_summary, usage_line
        from dealiq.evaluation import render_table

        for room in rooms:
            try:
                run, card = measure(room, args.engine, log)
            except CouldNotMeasure as exc:
                failures.append({"room": str(room), "error": str(exc)})
                log(f"could not measure {room}:\n{exc}")
                continue
            results.append({"run": run_summary(run), **card.as_dict(verbose=args.verbose)})
            if args.json:
                continue
            print(f"== {room} — engine {run.engine} {run.model}".rstrip())
            if args.engine == "anthropic":
                print(usage_line(run))
            print(render_table(card, verbose=args.verbose))
            print()
    report = json.dumps({"engine": args.engine, "rooms": results, "failures": failures}, indent=2, ensure_ascii=False)
    if args.json:
        print(report)
    output = args.output or ROOT / "bench" / "results" / f"evaluate-{args.engine}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
