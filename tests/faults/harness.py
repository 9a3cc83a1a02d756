"""The fault suite's stack: worker and beat subprocesses with the fault injector, throwaway Redis and
PostgreSQL servers on their own ports, and a tally of what the suite saw (printed at the end)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from config.celery_app import app

from ..support.worker import ROOT, WorkerProcess, database_url, reset_broker_connections

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)

# What the suite saw, across its tests (printed by conftest at the end of the session).
TALLY = {
    "runs": 0, "runs_killed": 0, "runs_lost": 0, "count_mismatches": 0, "duplicate_rows": 0,
    "falsely_stalled": 0, "restarts": 0, "duplicate_deliveries": 0, "recovery_seconds": [],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, every: float = 0.5, on_timeout=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    detail = on_timeout() if on_timeout else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail}")


class FaultStack:
    """Workers (with the fault injector) and beat on one broker + database; dead workers restarted."""

    def __init__(self, *, broker_url: str, db_url: str | None = None, env: dict | None = None):
        self.queue = f"dealiq-faults-{uuid.uuid4().hex[:8]}"
        self.tmp = Path(tempfile.mkdtemp(prefix="dealiq-faults-"))
        self.fault_dir = self.tmp / "faults"
        self.fault_dir.mkdir()
        self.broker_url = broker_url
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url or database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "DEBUG": "1",
            "PYTHONPATH": str(ROOT),
            "DEALIQ_FAULT_DIR": str(self.fault_dir),
            **(env or {}),
        }
        self.workers: list[WorkerProcess] = []
        self.beat: subprocess.Popen | None = None
        self._keep_alive = threading.Event()
        self._saved = {}
        self.restarted = 0

    # --- plan -----------------------------------------------------------------------------------
    def plan(self, faults: dict[int, str]) -> None:
        path = self.fault_dir / "plan.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update({str(k): v for k, v in faults.items()})
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(current))
        tmp.replace(path)

    def fired_at(self, run_id: int) -> float | None:
        fired = self.fired(run_id)
        return fired[0] if fired else None

    def fired(self, run_id: int) -> tuple[float, int, str, str] | None:
        """(when, pid, domain, kind) of the fault that fired in this run (kind "finalize" for finalize)."""
        for marker in self.fault_dir.glob(f"fired-{run_id}-*"):
            at, pid, domain, kind = marker.read_text().split()
            return float(at), int(pid), domain, kind
        return None

    # --- processes ------------------------------------------------------------------------------
    def __enter__(self) -> "FaultStack":
        conf = app.conf
        self._saved = {k: conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
        conf.update(task_always_eager=False, broker_url=self.broker_url, task_default_queue=self.queue)
        reset_broker_connections()
        return self

    def start_worker(self, *, concurrency: int = 2, wait: bool = True) -> WorkerProcess:
        index = len(self.workers)
        worker = WorkerProcess(
            queue=self.queue,
            name=f"f{index}-{self.queue}@{os.uname().nodename}",
            env=self.env,
            log_path=self.tmp / f"worker{index}.log",
            concurrency=concurrency,
            extra_args=["--include", "tests.faults.inject"],
        )
        self.workers.append(worker)
        if wait:
            return worker.start(timeout=90)
        _start_without_waiting(worker)
        return worker

    def start_beat(self) -> None:
        log = open(self.tmp / "beat.log", "ab")
        self.beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
             "-s", str(self.tmp / "beat-schedule"), "--pidfile="],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def keep_workers_alive(self, count: int, concurrency: int = 2) -> None:
        """A supervisor: a killed worker is replaced (as a process manager would), so a worker is
        available again; recovery is measured from the kill."""
        self._keep_alive.clear()

        def loop():
            while not self._keep_alive.wait(0.5):
                alive = [w for w in self.workers if w.proc and w.proc.poll() is None]
                for _ in range(count - len(alive)):
                    self.restarted += 1
                    self.start_worker(concurrency=concurrency, wait=False)

        threading.Thread(target=loop, daemon=True).start()

    def logs(self, lines: int = 40) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_tail(lines)}" for w in self.workers[-4:])

    def __exit__(self, *exc) -> None:
        self._keep_alive.set()
        for worker in self.workers:
            if worker.proc and worker.proc.poll() is None:
                try:
                    os.killpg(worker.proc.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
                worker.stop()
        if self.beat and self.beat.poll() is None:
            os.killpg(self.beat.pid, signal.SIGTERM)
            self.beat.wait(timeout=20)
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(self.queue)
        except Exception:  # a throwaway broker may be gone already
            pass
        app.conf.update(**self._saved)
        reset_broker_connections()
        if exc[0] is not None:
            shutil.copytree(self.tmp, Path(tempfile.gettempdir()) / "dealiq-faults-last-failure", dirs_exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _start_without_waiting(worker: WorkerProcess) -> None:
    log = open(worker.log_path, "ab")
    worker.proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", worker.queue, "-n", worker.name,
         "-c", str(worker.concurrency), "--without-gossip", "--without-mingle", "-l", "INFO", *worker.extra_args],
        cwd=ROOT, env=worker.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


# --- throwaway servers ----------------------------------------------------------------------------


class ThrowawayRedis:
    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "ThrowawayRedis":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(self._answers, 20, "the throwaway Redis", every=0.1)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart(self, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


class ThrowawayPostgres:
    """initdb + pg_ctl on a free port, as the `postgres` user when the test runs as root."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dealiq-pg-"))
        self.data = self.dir / "data"
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/dealiq_faults"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(PG_BIN / args[0]), *args[1:]], user=self.user, check=check,
                              capture_output=True, text=True, timeout=120)

    def start(self) -> "ThrowawayPostgres":
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self._pg_ctl("start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "dealiq_faults")
        return self

    def _pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} -c fsync=off"
        args = ["pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60"]
        if action == "start":
            self._run(*args, "-o", options, "start")
        elif action == "stop":
            self._run(*args, "-m", "fast", "stop", check=False)

    def restart(self, down_for: float = 1.0) -> None:
        self._pg_ctl("stop")
        time.sleep(down_for)
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)
