"""Real services for tests. With CI=true a missing service fails the test; locally it skips."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
TEST_BROKER_URL = os.environ.get("DEALIQ_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


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
