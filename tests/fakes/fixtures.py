"""Pytest fixtures for the fake Anthropic Messages API.

Use them from any test module with `from tests.fakes.fixtures import fake_anthropic, claude_engine`
(or list "tests.fakes.fixtures" in the root conftest's `pytest_plugins`).
"""
from __future__ import annotations

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


@pytest.fixture
def claude_engine(fake_anthropic, tmp_path):
    """An AnthropicEngine talking to `fake_anthropic`, with its own warm-up gate directory."""
    from dealiq.engines import build_engine
    from dealiq.engines.anthropic_engine.warmup import FileWarmupGate

    return build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path / "gate")))
