"""Production settings and the compose file."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..support.services import service_missing
from ..support.worker import ROOT


def production_env(tmp_path: Path, **extra) -> dict:
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {
        **keep,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "dealiq.example.com",
        "DEALIQ_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **extra,
    }


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_would_catch_an_insecure_setting(tmp_path):
    # The test above can fail: turning a protection off yields a deploy warning.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(tmp_path, SESSION_COOKIE_SECURE="0"), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_production_logs_are_json_lines(tmp_path):
    code = "import logging, django; django.setup(); logging.getLogger('dealiq.test').warning('hello %s', 'ops')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=production_env(tmp_path),
    )
    import json

    [line] = [l for l in result.stderr.splitlines() if l.strip()]
    entry = json.loads(line)
    assert entry["message"] == "hello ops" and entry["level"] == "WARNING" and entry["logger"] == "dealiq.test"


COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_runs_the_whole_stack_each_with_a_health_check(compose):
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat", "flower"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "replicas" in services["worker"]["deploy"]
    assert "gunicorn" in " ".join(services["web"]["command"])


def test_compose_flower_has_basic_auth_from_the_environment(compose):
    flower = compose["services"]["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert "flower" in " ".join(flower["command"])
    # Credentials never on the command line (visible in `ps`).
    assert "basic-auth" not in " ".join(flower["command"])


def test_compose_secrets_come_from_the_environment(compose):
    text = COMPOSE.read_text()
    assert "${SECRET_KEY:?" in text and "${POSTGRES_PASSWORD:?" in text and "${METRICS_BASIC_AUTH:?" in text


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or the standalone `docker-compose` (.ci/system-deps installs it)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_config_accepts_the_file():
    command = compose_command()
    if command is None:
        service_missing("neither `docker compose` nor `docker-compose` is installed (.ci/system-deps installs it)")
    env = {**os.environ, "SECRET_KEY": "x" * 60, "POSTGRES_PASSWORD": "pw", "FLOWER_BASIC_AUTH": "a:b",
           "METRICS_BASIC_AUTH": "m:n"}
    result = subprocess.run([*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # A broken file is refused: the check can fail.
    broken = ROOT / "var" / "compose-broken.yml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text("services:\n  web:\n    image: [not, a, string]\n")
    result = subprocess.run([*command, "-f", str(broken), "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    broken.unlink()
    assert result.returncode != 0
