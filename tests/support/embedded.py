"""The embedded default's worker for tests: kombu's filesystem transport in a temporary folder, a real
`celery worker` subprocess (as `manage.py serve` starts it) on the test database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery_app import app

from .services import service_missing
from .worker import ROOT, database_url, reset_broker_connections


def transport_options(folder: Path) -> dict:
    return {
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"), "store_processed": False,
        "control_folder": str(folder / "control"), "polling_interval": 0.2,
    }


class EmbeddedStack:
    """Points the in-process Celery app at a filesystem broker; `start_worker()` starts the worker."""

    def __init__(self):
        if connection.vendor != "postgresql":
            service_missing("the embedded-worker tests share the test database with a subprocess: PostgreSQL")
        self.folder = Path(tempfile.mkdtemp(prefix="dealiq-embedded-"))
        for name in ("queue", "processed", "control"):
            (self.folder / name).mkdir()
        self.env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "ANTHROPIC_API_KEY", "DEALIQ_ENGINE")}
        self.env.update({
            "DATABASE_URL": database_url(), "DEALIQ_EMBEDDED_WORKER": "1", "DEALIQ_EMBEDDED_BROKER_DIR": str(self.folder),
            "DEALIQ_VAR_DIR": str(self.folder / "var"), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "DEBUG": "1",
            "PYTHONPATH": str(ROOT),
        })
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> "EmbeddedStack":
        self._saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "broker_transport_options")}
        app.conf.update(task_always_eager=False, broker_url="filesystem://",
                        broker_transport_options=transport_options(self.folder))
        reset_broker_connections()
        return self

    def queued_messages(self) -> int:
        return len(list((self.folder / "queue").iterdir()))

    def spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.folder / log_name, "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def start_worker(self) -> subprocess.Popen:
        return self.spawn([sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--without-gossip",
                           "--without-mingle", "--without-heartbeat", "-l", "INFO"], "worker.log")

    def log(self, name: str = "worker.log") -> str:
        try:
            return (self.folder / name).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        app.conf.update(**self._saved)
        reset_broker_connections()
