"""`manage.py serve [addrport]` (make serve): the web server and, on the embedded default, its worker.

Embedded default (no CELERY_BROKER_URL): starts `runserver` and one `celery worker` (with the beat
schedule: the watchdog) as child processes, both with DEALIQ_EMBEDDED_WORKER=1, so tasks travel through
kombu's filesystem transport under var/broker/ instead of running inside the request. "Start run"
returns at once and the run page shows the run's progress live. Ctrl-C stops both; if one of them
exits, the other is stopped too.

Real stack (CELERY_BROKER_URL set): only the web server; start workers with `make worker`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web pages; on the embedded default also run the worker that executes runs."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="Do not restart the web server on code changes.")
        parser.add_argument("--concurrency", type=int, default=1, help="Worker processes (embedded default: 1).")

    def handle(self, *args, addrport: str, noreload: bool, concurrency: int, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        web_cmd = [*manage, "runserver", addrport, *(["--noreload"] if noreload else [])]
        if os.environ.get("CELERY_BROKER_URL", "").strip():
            self.stdout.write("Real stack (CELERY_BROKER_URL is set): serving pages only; start workers with `make worker`.")
            os.execv(web_cmd[0], web_cmd)
        env = {**os.environ, "DEALIQ_EMBEDDED_WORKER": "1"}
        schedule = settings.DEALIQ_EMBEDDED_BROKER_DIR / "beat-schedule"
        worker_cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(schedule),
            "-c", str(max(1, concurrency)), "-n", "embedded@%h", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-l", "INFO",
        ]
        self.stdout.write(
            f"Embedded default: a worker runs the analysis (broker: files under {settings.DEALIQ_EMBEDDED_BROKER_DIR}).\n"
            f"Open http://{addrport}/ — Ctrl-C stops the web server and the worker."
        )
        children = [
            subprocess.Popen(worker_cmd, cwd=settings.BASE_DIR, env=env, start_new_session=True),
            subprocess.Popen(web_cmd, cwd=settings.BASE_DIR, env=env, start_new_session=True),
        ]
        stopping = []

        def stop(*_):
            stopping.append(True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        code = 0
        try:
            while not stopping:
                ended = [c for c in children if c.poll() is not None]
                if ended:
                    code = ended[0].returncode or 0
                    self.stderr.write(f"{'worker' if ended[0] is children[0] else 'web server'} exited ({code}); stopping.")
                    break
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
        sys.exit(code)
