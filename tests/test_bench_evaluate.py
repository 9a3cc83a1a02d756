"""bench/evaluate.py as a user runs it: a subprocess on its own throwaway SQLite database.

The room is the bundled sample deal with the small answer key from tests/dealiq/data (it tests the
harness, not the engine's quality). The Claude engine talks to the repo's fake Messages API.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .fakes.fixtures import FAKE_API_KEY, fake_anthropic  # noqa: F401  (pytest fixture)

ROOT = Path(__file__).resolve().parents[1]
KEY = ROOT / "tests" / "dealiq" / "data" / "sample-deal-answer-key.json"


def bench_env(tmp_path: Path, **extra: str) -> dict:
    """No database, broker or API settings from the caller's environment: the script makes its own."""
    drop = ("DATABASE_URL", "CELERY_BROKER_URL", "DEALIQ_ENGINE", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["TMPDIR"] = str(tmp_path)  # its temporary database, and the Claude engine's warm-up markers
    env.update(extra)
    return env


def run_bench(env: dict, *args: str) -> subprocess.CompletedProcess:
    """The script, writing its results file into the test's temp dir (TMPDIR), not bench/results/."""
    output = Path(env["TMPDIR"]) / "results.json"
    return subprocess.run([sys.executable, "bench/evaluate.py", *args, "--output", str(output)], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def room(tmp_path) -> Path:
    folder = tmp_path / "sample-room"
    shutil.copytree(ROOT / "samples" / "sample-deal", folder)
    shutil.copy(KEY, folder / "answer-key.json")
    return folder


def test_anthropic_without_an_api_key_says_so_and_fails(room, tmp_path):
    result = run_bench(bench_env(tmp_path), "--room", str(room), "--engine", "anthropic")

    assert result.returncode == 2
    assert "--engine anthropic needs ANTHROPIC_API_KEY" in result.stderr
    assert result.stdout == ""
    assert not list(tmp_path.glob("dealiq-evaluate-*"))  # nothing was set up


@pytest.mark.slow
def test_a_malformed_key_is_reported_and_nothing_is_measured(room, tmp_path):
    (room / "answer-key.json").write_text(json.dumps({"room": "r", "facts": [{"id": "F1"}], "gaps": [], "findings": []}))

    result = run_bench(bench_env(tmp_path), "--room", str(room))

    assert result.returncode == 1
    assert f"could not measure {room}" in result.stderr and "facts[0] (F1): entity must be one of target, buyer" in result.stderr
    assert "analysing" not in result.stderr  # the key is checked before the analysis is paid for
    assert json.loads((tmp_path / "results.json").read_text())["failures"][0]["room"] == str(room)


@pytest.mark.slow
def test_offline_json(room, tmp_path):
    result = run_bench(bench_env(tmp_path), "--room", str(room), "--json")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["engine"] == "offline" and data["failures"] == []
    (scored,) = data["rooms"]
    assert scored["room"] == "sample-deal" and scored["run"]["status"] == "completed"
    assert scored["totals"]["facts"]["run"] == scored["grounding"]["facts"] > 0
    assert scored["contradictions"]["key"] == 3 and scored["injection"]["hits"] == 0
    assert not list(tmp_path.glob("dealiq-evaluate-*"))  # the throwaway database is gone
    assert json.loads((tmp_path / "results.json").read_text()) == data


@pytest.mark.slow
def test_anthropic_against_the_fake_api_prints_calls_tokens_and_cost(room, tmp_path, fake_anthropic):  # noqa: F811
    env = bench_env(tmp_path, ANTHROPIC_API_KEY=FAKE_API_KEY, ANTHROPIC_BASE_URL=fake_anthropic.base_url,
                    ANTHROPIC_MODEL="claude-haiku-4-5")

    result = run_bench(env, "--room", str(room), "--engine", "anthropic")

    assert result.returncode == 0, result.stderr
    assert "engine anthropic claude-haiku-4-5" in result.stdout
    usage = re.search(r"^calls: (\d+), tokens: ([\d,]+) input \+ ([\d,]+) cache write \+ ([\d,]+) cache read, "
                      r"([\d,]+) output; cost: \$(\d+\.\d{4})$", result.stdout, re.MULTILINE)
    assert usage, result.stdout
    calls, *tokens, cost = usage.groups()
    assert int(calls) == len(fake_anthropic.message_requests) > 0
    sent = [r.body.get("model") for r in fake_anthropic.message_requests]
    assert set(sent) == {"claude-haiku-4-5"}
    input_tokens = sum(u["input_tokens"] for u in fake_anthropic.usages())
    assert int(tokens[0].replace(",", "")) == input_tokens
    assert float(cost) > 0
    assert re.search(r"^total\s+\d+% \d+/7", result.stdout, re.MULTILINE)
    assert "grounding: 100%" in result.stdout
