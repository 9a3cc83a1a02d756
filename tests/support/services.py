"""Real services for tests. With CI=true a missing service fails the test; locally it skips."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
_BASE_BROKER_URL = os.environ.get("DEALIQ_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _per_xdist_worker(url: str) -> str:
    """Each pytest-xdist worker (gw0, gw1, …) gets its own Redis database below the given one, so queues,
    rate-limit windows and warm-up gates of parallel tests never meet; a run without xdist keeps `url`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not url.startswith(("redis://", "rediss://")):
        return url
    parsed = urlparse(url)
    base = int(parsed.path.lstrip("/") or 0)
    index = (base - int(worker[2:])) % 16
    return parsed._replace(path=f"/{index}").geturl()


TEST_BROKER_URL = _per_xdist_worker(_BASE_BROKER_URL)


def service_missing(message: str) -> None:
    if CI:
        pytest.fail(f"{message} (CI=true: services are required, never skipped)", pytrace=False)
    pytest.skip(message)


def redis_answers(url: str = TEST_BROKER_URL, timeout: float = 2.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
