"""A real `celery worker` subprocess on the test Redis and the test PostgreSQL database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery_app import app

from .services import TEST_BROKER_URL, redis_answers, service_missing

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def reset_broker_connections() -> None:
    """Forget every cached broker connection of the in-process Celery app after its broker_url
    changed: the connection pool, the producer pool and the control mailbox's cached producer
    pool. A stale one (say, bound to memory:// by an eager `.delay()`) would send pings and tasks
    to the old broker."""
    app._pool = None
    app.amqp._producer_pool = None
    app.control.mailbox.__dict__.pop("producer_pool", None)


def wait_for_run(run, timeout: float = 120.0, interval: float = 0.3):
    """Poll the run row until it is completed, failed or cancelled; AssertionError after `timeout`."""
    from analysis.models import FINISHED_RUN_STATUSES

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in FINISHED_RUN_STATUSES:
            return run
        time.sleep(interval)
    raise AssertionError(f"run {run.pk} still {run.status} after {timeout}s")


def require_real_stack() -> None:
    if connection.vendor != "postgresql":
        service_missing("worker tests need PostgreSQL (set DATABASE_URL=postgres://…)")
    if not redis_answers():
        service_missing(f"Redis does not answer at {TEST_BROKER_URL}")


@dataclass
class WorkerProcess:
    queue: str
    name: str
    env: dict
    log_path: Path
    concurrency: int = 2
    proc: subprocess.Popen | None = None
    extra_args: list[str] = field(default_factory=list)

    def start(self, timeout: float = 60.0) -> "WorkerProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "-Q", self.queue, "-n", self.name, "-c", str(self.concurrency),
                "--without-gossip", "--without-mingle", "-l", "INFO", *self.extra_args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            if app.control.ping(destination=[self.name], timeout=1.0):
                return self
        raise RuntimeError(f"celery worker did not answer ping in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (the main process and its prefork children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class RealStack:
    """Points the in-process Celery app at the test broker and starts worker subprocesses."""

    def __init__(self, extra_env: dict | None = None):
        self.queue = f"dealiq-test-{uuid.uuid4().hex[:8]}"
        self.tmp = Path(tempfile.mkdtemp(prefix="dealiq-worker-"))
        self.workers: list[WorkerProcess] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": TEST_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "DEBUG": "1",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        self._saved = {}

    def __enter__(self) -> "RealStack":
        conf = app.conf
        self._saved = {
            "task_always_eager": conf.task_always_eager,
            "broker_url": conf.broker_url,
            "task_default_queue": conf.task_default_queue,
        }
        conf.update(task_always_eager=False, broker_url=TEST_BROKER_URL, task_default_queue=self.queue)
        reset_broker_connections()
        self.purge()
        return self

    def purge(self) -> None:
        with app.connection_for_write() as conn:
            try:
                conn.default_channel.queue_purge(self.queue)
            except Exception:  # the queue may not exist yet
                pass

    def start_worker(self, *, concurrency: int = 2, env: dict | None = None, extra_args=None) -> WorkerProcess:
        name = f"w{len(self.workers)}-{self.queue}@%h"
        worker = WorkerProcess(
            queue=self.queue,
            name=name.replace("%h", os.uname().nodename),
            env={**self.env, **(env or {})},
            log_path=self.tmp / f"worker{len(self.workers)}.log",
            concurrency=concurrency,
            extra_args=list(extra_args or []),
        )
        self.workers.append(worker)
        return worker.start()

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.stop()
        self.purge()
        app.conf.update(**self._saved)
        reset_broker_connections()
