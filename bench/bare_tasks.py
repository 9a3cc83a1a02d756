"""No-op Celery tasks for bench/bench_step_overhead.py: the bare chord DealIQ's step path is compared with.

Loaded into the bench's worker with `celery worker -I bench.bare_tasks`; never part of the app.
"""
from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop", acks_late=True, reject_on_worker_lost=True)
def noop(*args) -> int:
    return 0


@shared_task(name="bench.done")
def done(results) -> int:
    return len(results)
