"""Flower as the operator's tool: a real Flower subprocess on the test Redis, a real worker, a real
DealIQ task; basic auth always on."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from workers.ops.flower import FlowerConfigError, flower_credentials, flower_task_url

from ..support.worker import ROOT, RealStack, require_real_stack
from .support import free_port, http_get, http_json, port_open, wait_until

FLOWER_AUTH = "operator:correct-horse-battery"


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
def test_flower_requires_auth_and_lists_the_worker_and_a_finished_dealiq_task():
    require_real_stack()
    from workers.tasks import watchdog

    with RealStack() as stack:
        port = free_port()
        log = open(stack.tmp / "flower.log", "ab")
        flower = subprocess.Popen(
            [sys.executable, "manage.py", "flower", "--port", str(port)],
            cwd=ROOT,
            env={**stack.env, "FLOWER_BASIC_AUTH": FLOWER_AUTH},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(lambda: flower.poll() is None and port_open(port), 60, "Flower did not start")
            base = f"http://127.0.0.1:{port}"

            assert http_get(f"{base}/api/workers")[0] == 401
            assert http_get(f"{base}/api/tasks")[0] == 401
            assert http_get(f"{base}/")[0] == 401
            assert http_get(f"{base}/api/workers", auth="operator:wrong-password")[0] == 401
            assert http_get(f"{base}/healthcheck")[0] == 200  # the compose health check needs no credentials

            worker = stack.start_worker(concurrency=1)
            workers = wait_until(
                lambda: http_json(f"{base}/api/workers?refresh=1", auth=FLOWER_AUTH).keys() or None,
                30,
                "Flower did not list the worker",
            )
            assert worker.name in workers

            sent = watchdog.apply_async()

            def finished_task():
                tasks = http_json(f"{base}/api/tasks", auth=FLOWER_AUTH)
                task = tasks.get(sent.id)
                return task if task and task.get("state") == "SUCCESS" else None

            task = wait_until(finished_task, 60, f"Flower never saw the task finish\n{worker.log_tail()}")
            assert task["name"] == "dealiq.watchdog"
            assert task["worker"] == worker.name
        finally:
            if flower.poll() is None:
                os.killpg(flower.pid, signal.SIGTERM)
                flower.wait(timeout=20)
            log.close()


def test_flower_refuses_to_start_without_credentials_outside_debug():
    with pytest.raises(FlowerConfigError, match="FLOWER_BASIC_AUTH"):
        flower_credentials({}, debug=False)
    with pytest.raises(FlowerConfigError, match="too short"):
        flower_credentials({"FLOWER_BASIC_AUTH": "ops:short"}, debug=False)
    with pytest.raises(FlowerConfigError, match="user:password"):
        flower_credentials({"FLOWER_BASIC_AUTH": "no-colon"}, debug=True)
    assert flower_credentials({"FLOWER_BASIC_AUTH": FLOWER_AUTH}, debug=False) == (FLOWER_AUTH, False)


def test_flower_in_debug_still_has_auth_with_a_generated_password():
    credentials, generated = flower_credentials({}, debug=True)
    user, _, password = credentials.partition(":")
    assert generated and user == "admin" and len(password) >= 12
    assert flower_credentials({}, debug=True)[0] != credentials


def test_flower_command_exits_with_a_readable_error_without_credentials():
    env = {k: v for k, v in os.environ.items() if k not in ("FLOWER_BASIC_AUTH", "DEBUG")}
    env.update(SECRET_KEY="x" * 20 + "production-like-secret-key-for-this-test-0123456789", ALLOWED_HOSTS="ops.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "flower"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Refusing to start Flower without authentication" in result.stderr
    assert "Traceback" not in result.stderr


def test_flower_task_url(settings):
    settings.FLOWER_URL = "https://ops.example/flower/"
    assert flower_task_url("3f1c-aa") == "https://ops.example/flower/task/3f1c-aa"
    assert flower_task_url("") == ""
    settings.FLOWER_URL = ""
    assert flower_task_url("3f1c-aa") == ""


@pytest.mark.django_db
def test_run_page_links_each_step_to_its_task_in_flower_for_operators(client, settings):
    from analysis.models import RunStep

    from .data import populate

    settings.FLOWER_URL = "https://flower.example"
    data = populate()
    run, owner = data["run"], data["owner"]
    step = RunStep.objects.filter(run=run).first()
    RunStep.objects.filter(pk=step.pk).update(task_id="5b7c-task-id")
    url = f"/deals/{data['deal'].pk}/runs/{run.number}/"

    client.force_login(owner)
    page = client.get(url)
    assert page.status_code == 200
    assert "https://flower.example/task/5b7c-task-id" not in page.content.decode()  # analysts: no link

    owner.is_staff = True
    owner.save()
    page = client.get(url).content.decode()
    assert page.count("flower-link") == 1
    assert 'href="https://flower.example/task/5b7c-task-id"' in page
