"""Fault injection, loaded into fault-suite workers with `celery worker --include tests.faults.inject`.

The test writes a plan (`$DEALIQ_FAULT_DIR/plan.json`: run id → fault) before the run's work starts; the
hooks below read it where the fault belongs and fire once per run (a marker file, created exclusively,
records when). Faults:
- `engine`: SIGKILL the whole worker (its process group) inside the engine call;
- `before_commit`: SIGKILL the whole worker inside the step's save transaction, rows written, not committed;
- `finalize`: SIGKILL the whole worker while finalize counts the run;
- `stop_in_save`: SIGSTOP the process inside the save transaction (a frozen worker holding its locks);
- `slow`: the engine call takes 3 s (to let a duplicate delivery meet a running step).
DEALIQ_FAULT_ENGINE_SECONDS makes every engine call that much slower (runs still going while servers restart).
Production code knows nothing of this module.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

FAULT_DIR = Path(os.environ.get("DEALIQ_FAULT_DIR", "/nonexistent"))


def _plan() -> dict[str, str]:
    try:
        return json.loads((FAULT_DIR / "plan.json").read_text())
    except (OSError, ValueError):
        return {}


def _fire_once(run_id: int, point: str) -> bool:
    if _plan().get(str(run_id)) != point:
        return False
    try:
        fd = os.open(FAULT_DIR / f"fired-{run_id}-{point}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    step = _current.get("step") or ("-", "-")
    os.write(fd, f"{time.time()} {os.getpid()} {step[0]} {step[1]}\n".encode())
    os.close(fd)
    return True


_current: dict = {}  # the step this (single-task) process works on, for the marker


def _kill_worker() -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)  # the main process and every child: a whole-worker loss


def install() -> None:
    from analysis.services import lifecycle
    from analysis.services import steps as step_services
    from workers import step_runner as worker_steps

    real_engine_for = worker_steps.engine_for

    class FaultyEngine:
        def __init__(self, engine):
            self._engine = engine

        def __getattr__(self, name):
            return getattr(self._engine, name)

        def _maybe(self, request):
            run_id = _run_of(request)
            time.sleep(float(os.environ.get("DEALIQ_FAULT_ENGINE_SECONDS", "0") or 0))
            if run_id is not None and _plan().get(str(run_id)) == "slow":
                time.sleep(3)
            if run_id is not None and _fire_once(run_id, "engine"):
                _kill_worker()

        def discover(self, request):
            self._maybe(request)
            return self._engine.discover(request)

        def reason(self, request):
            self._maybe(request)
            return self._engine.reason(request)

    current_run: dict[str, int] = {}

    def _run_of(request):
        return current_run.get("id")

    def engine_for(name):
        return FaultyEngine(real_engine_for(name))

    worker_steps.engine_for = engine_for

    real_claim = worker_steps.claim_step

    def claim_step(run_id, domain, kind, *args, **kwargs):
        current_run["id"] = run_id
        _current["step"] = (domain, kind)
        return real_claim(run_id, domain, kind, *args, **kwargs)

    worker_steps.claim_step = claim_step

    def in_save(real):
        def upsert(run, *args, **kwargs):
            counts = real(run, *args, **kwargs)
            if _fire_once(run.pk, "before_commit"):
                _kill_worker()
            if _fire_once(run.pk, "stop_in_save"):
                os.kill(os.getpid(), signal.SIGSTOP)
            return counts
        return upsert

    step_services.upsert_discovery = in_save(step_services.upsert_discovery)
    step_services.upsert_reasoning = in_save(step_services.upsert_reasoning)

    real_counts = lifecycle.counts_by_domain

    def counts_by_domain(run):
        _current["step"] = ("-", "finalize")
        if _fire_once(run.pk, "finalize"):
            _kill_worker()
        return real_counts(run)

    lifecycle.counts_by_domain = counts_by_domain


def _on_worker_init(**kwargs) -> None:
    install()


if FAULT_DIR.is_dir():
    from django.apps import apps

    if apps.ready:  # `--include` modules are imported after Django is set up, before the pool forks
        install()
    else:
        from celery import signals

        signals.worker_init.connect(_on_worker_init, weak=False)
