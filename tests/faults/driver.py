"""Runs inside a subprocess whose DATABASE_URL / CELERY_BROKER_URL point at throwaway servers:
`python -m tests.faults.driver start N DOMAINS` creates N small deals and starts a run on each (prints
the run ids as JSON); `python -m tests.faults.driver report ID…` prints each run's outcome as JSON."""
from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from tests.faults.outcome import run_outcome, start_runs  # noqa: E402


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(json.dumps("ok"))
    elif command == "start":
        print(json.dumps(start_runs(int(args[0]), args[1].split(","), prefix=args[2])))
    elif command == "report":
        print(json.dumps([run_outcome(int(run_id)) for run_id in args]))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
