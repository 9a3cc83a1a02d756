"""With CI=true a missing service fails the run; locally it skips."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import services

ROOT = Path(__file__).resolve().parents[1]


def test_missing_service_fails_under_ci(monkeypatch):
    monkeypatch.setattr(services, "CI", True)
    with pytest.raises(pytest.fail.Exception, match="never skipped"):
        services.service_missing("Redis does not answer")


def test_missing_service_skips_locally(monkeypatch):
    monkeypatch.setattr(services, "CI", False)
    with pytest.raises(pytest.skip.Exception):
        services.service_missing("Redis does not answer")


def test_redis_probe_sees_a_closed_port():
    assert services.redis_answers("redis://127.0.0.1:1/0", timeout=0.5) is False


@pytest.mark.slow
def test_ci_suite_refuses_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CI="true", DEALIQ_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_service_guard.py::test_redis_probe_sees_a_closed_port", "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "CI=true needs DATABASE_URL=postgres" in result.stdout + result.stderr
