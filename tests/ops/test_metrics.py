"""/metrics: Prometheus text with runs, step durations, retries, tokens/cost, queue depth; auth on."""
from __future__ import annotations

import base64
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from analysis.models import AnalysisRun, RunStatus, RunStep, StepKind, StepStatus
from config.celery_app import app
from workers.ops.broker import queue_keys, redis_client

from ..support.services import TEST_BROKER_URL
from ..support.worker import require_real_stack
from .data import populate

AUTH = "prometheus:scrape-secret-123"


def basic(credential: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credential.encode()).decode()}


def samples(body: bytes) -> dict:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
def metrics_auth(settings):
    settings.METRICS_BASIC_AUTH = AUTH


@pytest.mark.django_db
def test_metrics_need_credentials_or_a_staff_session(client, metrics_auth, make_user):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/metrics", **basic("prometheus:wrong")).status_code == 401
    assert client.get("/metrics", **basic(AUTH)).status_code == 200

    analyst = make_user("analyst")
    client.force_login(analyst)
    assert client.get("/metrics").status_code == 401
    staff = make_user("ops", is_staff=True)
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_metrics_report_runs_steps_retries_usage_and_queue_depth(client, metrics_auth, django_assert_max_num_queries):
    require_real_stack()
    data = populate()
    run = data["run"]
    now = timezone.now()
    steps = list(RunStep.objects.filter(run=run, kind=StepKind.DISCOVER_TARGET))
    for seconds, step in zip((3, 90), steps):
        step.status, step.started_at, step.finished_at, step.retries = (
            StepStatus.DONE, now - dt.timedelta(seconds=seconds), now, 2
        )
        step.save()
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=RunStatus.COMPLETED, input_tokens=1000, output_tokens=200, cost=Decimal("0.125"), calls=4
    )

    queue = f"dealiq-metrics-{uuid.uuid4().hex[:8]}"
    saved = app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.update(broker_url=TEST_BROKER_URL, task_always_eager=False, task_default_queue=queue)
    redis = redis_client(2.0)
    keys = queue_keys(queue)
    try:
        redis.rpush(keys[0], "m1", "m2")
        redis.rpush(keys[5], "m3")  # a priority-5 message lives in its own list
        with django_assert_max_num_queries(8):
            response = client.get("/metrics", **basic(AUTH))
    finally:
        redis.delete(*keys)
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1], task_default_queue=saved[2])

    assert response.status_code == 200
    m = samples(response.content)
    assert m[("dealiq_runs", (("status", "completed"),))] == 1
    assert m[("dealiq_runs", (("status", "failed"),))] == 0
    kind = (("kind", "discover_target"),)
    assert m[("dealiq_step_duration_seconds_count", kind)] == 2
    assert m[("dealiq_step_duration_seconds_bucket", (("kind", "discover_target"), ("le", "5.0")))] == 1
    assert m[("dealiq_step_duration_seconds_bucket", (("kind", "discover_target"), ("le", "120.0")))] == 2
    assert m[("dealiq_step_duration_seconds_sum", kind)] == pytest.approx(93, abs=0.5)
    assert m[("dealiq_step_retries_total", kind)] == 4
    labels = (("engine", "offline"), ("model", ""))
    assert m[("dealiq_engine_tokens_total", (*labels, ("type", "input")))] == 1000
    assert m[("dealiq_engine_tokens_total", (*labels, ("type", "output")))] == 200
    assert m[("dealiq_engine_cost_usd_total", labels)] == pytest.approx(0.125)
    assert m[("dealiq_queue_depth", (("queue", queue),))] == 3
    assert m[("dealiq_broker_up", ())] == 1
