"""Liveness of step messages, so the watchdog can tell a step waiting its turn from a lost one.

Three stamps on RunStep, each one cheap UPDATE:
- `dispatched_at`: a message for the step was published (any process: the web, a worker sending the
  next step of a chain, a retry);
- `held_by` + `heartbeat_at`: a worker received the message (prefetched, or holding a retry countdown);
  the worker's main process refreshes the heartbeat of every step it holds every
  DEALIQ_HEARTBEAT_INTERVAL_SECONDS (`WorkerHeartbeat`), so a whole-worker SIGKILL makes everything it
  held go stale together and the watchdog re-sends it all in one round;
- a running step's own heartbeat thread (workers/step_runner.py) proves the step itself is alive.

Hooked to Celery signals in WorkersConfig.ready(); a failure here is logged and never fails a task.
"""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from analysis.models import RunStep, StepStatus
from analysis.services.durability import without_waiting_for_disk

from .pipeline import STEP_TASK

logger = logging.getLogger("dealiq.liveness")

_KIND_OF_TASK = {name: kind for kind, name in STEP_TASK.items()}


def _step_rows(task_name: str, args):
    kind = _KIND_OF_TASK.get(task_name)
    if kind is None or not args or len(args) < 2:
        return None
    try:
        run_id, domain = int(args[0]), str(args[1])
    except (TypeError, ValueError):
        return None
    return RunStep.objects.filter(run_id=run_id, domain=domain, kind=kind, status=StepStatus.PENDING)


def _hint(rows, **fields) -> int:
    """A liveness stamp is a hint the watchdog can do without: it does not wait for the disk."""
    with without_waiting_for_disk():
        return rows.update(**fields)


def _safely(what: str, fn) -> None:
    try:
        fn()
    except Exception:  # liveness stamps must never break publishing or receiving a task
        logger.warning("liveness stamp failed (%s)", what, exc_info=True)
        try:
            connection.close()
        except Exception:
            logger.debug("closing the connection failed too", exc_info=True)


def on_publish(sender=None, headers=None, body=None, **kwargs) -> None:
    """before_task_publish: stamp the step as sent (and no longer held by whoever sends it). Before, not
    after: the receiving worker's stamp must come second."""
    task_name = (headers or {}).get("task") or sender
    args = body[0] if isinstance(body, (list, tuple)) and body else None
    rows = _step_rows(task_name, args)
    if rows is not None:
        _safely("published", lambda: _hint(rows, dispatched_at=timezone.now(), held_by=""))


def on_received(sender=None, request=None, **kwargs) -> None:
    """task_received (worker main process): this worker holds the step's message now."""
    if request is None:
        return
    rows = _step_rows(request.name, request.args)
    hostname = getattr(sender, "hostname", "") or getattr(request, "hostname", "")
    if rows is not None and hostname:
        _safely("received", lambda: _hint(rows, held_by=hostname, heartbeat_at=timezone.now()))


def release_hold(run_id: int, domain: str, kind: str, hostname: str) -> None:
    """The worker ran the message without claiming the step (skipped): it holds nothing any more."""
    if hostname:
        _safely("release", lambda: RunStep.objects.filter(
            run_id=run_id, domain=domain, kind=kind, status=StepStatus.PENDING, held_by=hostname
        ).update(held_by=""))


class WorkerHeartbeat:
    """A daemon thread in the worker's main process: one UPDATE per interval over the steps it holds."""

    def __init__(self, hostname: str, interval: float):
        self.hostname = hostname
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dealiq-worker-heartbeat", daemon=True)

    def beat(self) -> int:
        return RunStep.objects.filter(held_by=self.hostname, status=StepStatus.PENDING).update(
            heartbeat_at=timezone.now()
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                close_old_connections()
                _safely("worker heartbeat", self.beat)
        finally:
            connection.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


_heartbeat: WorkerHeartbeat | None = None


def on_worker_ready(sender=None, **kwargs) -> None:
    global _heartbeat
    hostname = getattr(sender, "hostname", "")
    if hostname and _heartbeat is None:
        _heartbeat = WorkerHeartbeat(hostname, settings.DEALIQ_HEARTBEAT_INTERVAL_SECONDS)
        _heartbeat.start()


def on_worker_shutdown(sender=None, **kwargs) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
        # A clean shutdown hands its held messages back to the broker: forget them (the watchdog would
        # find them stale anyway, a few seconds later).
        _safely("shutdown", lambda: RunStep.objects.filter(
            held_by=_heartbeat.hostname, status=StepStatus.PENDING
        ).update(held_by=""))
