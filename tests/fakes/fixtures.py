"""Pytest fixtures for the fake Anthropic Messages API.

Use them from any test module with `from tests.fakes.fixtures import fake_anthropic, claude_engine`
(or list "tests.fakes.fixtures" in the root conftest's `pytest_plugins`).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.anthropic_server import FakeAnthropicServer

FAKE_API_KEY = "sk-ant-fake-test-key"


@pytest.fixture
def fake_anthropic():
    """A started FakeAnthropicServer (fresh per test): .base_url, .requests, .latency, .fail_next(...)."""
    server = FakeAnthropicServer().start()
    try:
        yield server
    finally:
        server.stop()


def engine_config(server: FakeAnthropicServer, **overrides: Any) -> dict[str, Any]:
    """build_engine("anthropic", engine_config(server)) → the Claude engine pointed at the fake."""
    options = {"api_key": FAKE_API_KEY, "base_url": server.base_url, "timeout": 30.0, "max_retries": 0}
    options.update(overrides)
    return {"anthropic": options}


def real_worker_env(server: FakeAnthropicServer, **overrides: str) -> dict[str, str]:
    """The environment of a real `celery worker` whose Claude engine talks to `server`, after clearing the
    test broker's prompt-cache warm-up markers (a marker left by an earlier test would let every domain
    skip the warm-up)."""
    import redis

    from tests.support.services import TEST_BROKER_URL

    client = redis.Redis.from_url(TEST_BROKER_URL)
    stale = list(client.scan_iter("dealiq:warmup:*"))
    if stale:
        client.delete(*stale)
    return {
        "DEALIQ_ENGINE": "anthropic",
        "ANTHROPIC_API_KEY": FAKE_API_KEY,
        "ANTHROPIC_BASE_URL": server.base_url,
        "ANTHROPIC_PRICES": json.dumps({"claude-sonnet-4-6": {"input": 3.0, "output": 15.0}}),
        **overrides,
    }


@pytest.fixture
def claude_engine(fake_anthropic, tmp_path):
    """An AnthropicEngine talking to `fake_anthropic`, with its own warm-up gate directory."""
    from dealiq.engines import build_engine
    from dealiq.engines.anthropic_engine.warmup import FileWarmupGate

    return build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path / "gate")))
