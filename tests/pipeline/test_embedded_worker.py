"""Starting a run never blocks the request on the embedded default: `manage.py serve` runs a real worker
on kombu's filesystem transport, the page returns with the run queued, the worker runs it."""
from __future__ import annotations

import socket
import sys
import time
import urllib.request

import pytest
from django.urls import reverse

from analysis.models import AnalysisRun, RunStatus
from deals.models import Role
from tests.support.embedded import EmbeddedStack
from tests.support.worker import wait_for_run
from workers.pipeline import start_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow]


def test_start_from_the_page_returns_with_the_run_queued_and_the_worker_runs_it(client, sample_deal, member):
    analyst = member(sample_deal, Role.ANALYST, "ana")
    client.force_login(analyst)
    with EmbeddedStack() as stack:
        response = client.post(reverse("analysis:run_start", args=[sample_deal.pk]))
        run = AnalysisRun.objects.get(deal=sample_deal)
        assert response.status_code == 302 and response["Location"] == reverse("analysis:run", args=[sample_deal.pk, run.number])
        # The request only sent messages: nothing ran in it (no worker is up yet).
        assert run.status == RunStatus.QUEUED and run.steps_done == 0
        assert stack.queued_messages() > 0
        page = client.get(response["Location"]).content.decode()
        assert 'id="run-progress"' in page and "0 of" in page and 'http-equiv="refresh"' in page
        stack.start_worker()
        run = wait_for_run(run, timeout=180)
        assert run.status == RunStatus.COMPLETED, stack.log()
        assert run.finding_count > 0 and run.progress == 100
        page = client.get(response["Location"]).content.decode()
        assert 'id="run-progress"' not in page and "Completed" in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_serve_command_starts_the_web_server_and_the_worker(sample_deal):
    port = _free_port()
    with EmbeddedStack() as stack:
        serve = stack.spawn([sys.executable, "manage.py", "serve", f"127.0.0.1:{port}", "--noreload"], "serve.log")
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/live", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert serve.poll() is None, stack.log("serve.log")
                assert time.monotonic() < deadline, stack.log("serve.log")
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=5) as icon:
            assert icon.headers["Content-Type"] == "image/svg+xml"
        run = start_run(sample_deal)  # through the same filesystem broker the serve command's worker reads
        run = wait_for_run(run, timeout=180)
        assert run.status == RunStatus.COMPLETED, stack.log("serve.log")
