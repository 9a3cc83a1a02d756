"""/healthz against a real worker on a throwaway Redis that the test stops and starts again."""
from __future__ import annotations

import json
import subprocess
import time

import pytest
from django.conf import settings

from config.celery_app import app
from workers.ops.beat import BEAT_KEY, mark_beat_seen
from workers.ops.health import health_report

from ..support.worker import RealStack, require_real_stack, reset_broker_connections
from .support import free_port, port_open, wait_until

REDIS_PASSWORD = "s3cret-broker-pw-h8"


class ThrowawayRedis:
    """redis-server on a free port, no persistence, with a password (which must never leak)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> "ThrowawayRedis":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--requirepass", REDIS_PASSWORD],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), 20, "throwaway redis did not start")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        wait_until(lambda: not port_open(self.port), 20, "throwaway redis did not stop")


def healthz(client):
    response = client.get("/healthz")
    body = response.content.decode()
    return response.status_code, json.loads(body), body


def assert_no_secrets(body: str, redis: ThrowawayRedis):
    assert REDIS_PASSWORD not in body
    assert settings.SECRET_KEY not in body
    assert "redis://" not in body and "postgres://" not in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
def test_healthz_503_with_the_broker_stopped_and_200_when_it_is_back(client):
    require_real_stack()
    from workers.tasks import watchdog

    redis = ThrowawayRedis().start()
    try:
        with RealStack(extra_env={"CELERY_BROKER_URL": redis.url}) as stack:
            app.conf.broker_url = redis.url
            reset_broker_connections()
            worker = stack.start_worker(concurrency=1)

            # Up, but beat has never been seen: unhealthy until the watchdog (beat's task) runs.
            status, report, body = healthz(client)
            assert status == 503, report
            assert report["checks"]["beat"]["status"] == "fail"
            assert report["checks"]["workers"] == {"status": "ok", "answering": 1}

            watchdog.apply_async()
            wait_until(lambda: healthz(client)[0] == 200, 30, f"never healthy\n{worker.log_tail()}")
            status, report, body = healthz(client)
            assert {name: check["status"] for name, check in report["checks"].items()} == {
                "database": "ok", "broker": "ok", "workers": "ok", "beat": "ok", "disk": "ok", "queue": "ok"
            }
            assert_no_secrets(body, redis)

            redis.stop()
            status, report, body = healthz(client)
            assert status == 503
            assert report["status"] == "fail"
            assert report["checks"]["broker"]["status"] == "fail"
            assert report["checks"]["workers"]["status"] == "fail"
            assert report["checks"]["database"]["status"] == "ok"
            assert_no_secrets(body, redis)

            redis.start()  # same port; nothing persisted, so beat must be seen again
            reset_broker_connections()
            wait_until(
                lambda: healthz(client)[1]["checks"]["workers"]["status"] == "ok",
                60,
                f"worker never reconnected\n{worker.log_tail()}",
            )
            watchdog.apply_async()
            wait_until(lambda: healthz(client)[0] == 200, 30, f"never healthy again\n{worker.log_tail()}")
    finally:
        reset_broker_connections()  # RealStack restored broker_url; no pool may keep the throwaway Redis
        redis.stop()


@pytest.mark.django_db
def test_health_report_fails_on_stale_beat_and_low_disk(settings):
    require_real_stack()
    from ..support.services import TEST_BROKER_URL

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.update(broker_url=TEST_BROKER_URL, task_always_eager=False)
    try:
        mark_beat_seen(now=time.time() - settings.DEALIQ_BEAT_STALE_SECONDS - 5)
        beat = health_report(only=["beat"])
        assert beat["status"] == "fail" and "not seen for" in beat["checks"]["beat"]["error"]
        mark_beat_seen()
        assert health_report(only=["beat"])["checks"]["beat"]["status"] == "ok"

        settings.DEALIQ_MIN_FREE_DISK_MB = 10**9  # a petabyte: no disk has that much free
        disk = health_report(only=["disk"])
        assert disk["status"] == "fail" and disk["checks"]["disk"]["minimum_mb"] == 10**9
    finally:
        from workers.ops.broker import redis_client

        redis_client(1.0).delete(BEAT_KEY)
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])


@pytest.mark.django_db
def test_healthz_live_and_narrowed_checks(client):
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json()["checks"]["database"]["status"] == "ok"
    narrowed = client.get("/healthz?check=database,disk").json()
    assert set(narrowed["checks"]) == {"database", "disk"}


@pytest.mark.django_db
def test_oldest_queued_run_query_uses_one_query(django_assert_num_queries):
    from workers.ops.health import Check, check_queue

    with django_assert_num_queries(1):
        check_queue(1.0, Check("fail"))
