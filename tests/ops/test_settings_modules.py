"""The settings modules (config/settings/: base, local, test, production) and the environment readers of
config/env.py: every bad value stops startup with a message naming the variable."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_engines, env_rate_limits, env_unset

from ..support.worker import ROOT

SHOW = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.DEALIQ_ENGINE, sorted(s.DEALIQ_EXTRA_ENGINES))"


def _settings_process(module: str | None, **env) -> subprocess.CompletedProcess:
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    full = {**keep, **env}
    if module:
        full["DJANGO_SETTINGS_MODULE"] = module
    # manage.py's default when nothing names a module: run its main() with a harmless command.
    code = SHOW if module else "import os, runpy, sys; sys.argv = ['manage.py', 'check']; runpy.run_path('manage.py', run_name='__main__'); print(os.environ['DJANGO_SETTINGS_MODULE'])"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def test_rate_limits_parse_and_name_the_variable_when_wrong(monkeypatch):
    monkeypatch.setenv("DEALIQ_RATE_LIMITS", "anthropic=1000/450000, other=5/")
    assert env_rate_limits("DEALIQ_RATE_LIMITS", "") == {
        "anthropic": {"requests": 1000, "tokens": 450000}, "other": {"requests": 5, "tokens": 0}
    }
    for bad in ("anthropic=ten/5", "anthropic", "=1/2", "anthropic=-1/0"):
        monkeypatch.setenv("DEALIQ_RATE_LIMITS", bad)
        with pytest.raises(ImproperlyConfigured, match="DEALIQ_RATE_LIMITS"):
            env_rate_limits("DEALIQ_RATE_LIMITS", "")


def test_extra_engines_parse_and_name_the_variable_when_wrong(monkeypatch):
    monkeypatch.setenv("DEALIQ_EXTRA_ENGINES", "a=pkg.mod:A, b = pkg.other:B")
    assert env_engines("DEALIQ_EXTRA_ENGINES") == {"a": "pkg.mod:A", "b": "pkg.other:B"}
    for bad in ("a", "a=pkg.mod", "=pkg.mod:A", "a=:A"):
        monkeypatch.setenv("DEALIQ_EXTRA_ENGINES", bad)
        with pytest.raises(ImproperlyConfigured, match="DEALIQ_EXTRA_ENGINES"):
            env_engines("DEALIQ_EXTRA_ENGINES")


def test_choice_and_unset_name_the_variable(monkeypatch):
    monkeypatch.setenv("DEALIQ_ENGINE", "gpt")
    with pytest.raises(ImproperlyConfigured, match="DEALIQ_ENGINE must be one of anthropic, offline, not 'gpt'"):
        env_choice("DEALIQ_ENGINE", "offline", ("offline", "anthropic"))
    monkeypatch.setenv("DEALIQ_EXTRA_ENGINES", "x=a:B")
    with pytest.raises(ImproperlyConfigured, match="DEALIQ_EXTRA_ENGINES is set"):
        env_unset("DEALIQ_EXTRA_ENGINES", "not here")


def test_test_settings_register_the_test_engines(settings):
    assert {"fake", "exploding", "ledger", "long-error"} <= set(settings.DEALIQ_EXTRA_ENGINES)


def test_manage_py_defaults_to_local_settings_with_debug_on(tmp_path):
    result = _settings_process(None, DEALIQ_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"


def test_local_settings_take_extra_engines_from_the_environment(tmp_path):
    result = _settings_process(
        "config.settings.local", DEALIQ_VAR_DIR=str(tmp_path),
        DEALIQ_EXTRA_ENGINES="mine=tests.support.engines:ExplodingEngine", DEALIQ_ENGINE="mine",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "mine", "['mine']"]


@pytest.mark.slow
def test_production_has_no_default_secret(tmp_path):
    result = _settings_process("config.settings.production", DEALIQ_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    weak = _settings_process("config.settings.production", DEALIQ_VAR_DIR=str(tmp_path), SECRET_KEY="short")
    assert "SECRET_KEY is too weak" in weak.stderr


@pytest.mark.slow
def test_production_never_imports_an_engine_named_by_the_environment(tmp_path):
    strong = secrets.token_urlsafe(64)
    fine = _settings_process("config.settings.production", DEALIQ_VAR_DIR=str(tmp_path), SECRET_KEY=strong)
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout.split() == ["False", "offline", "[]"]
    refused = _settings_process(
        "config.settings.production", DEALIQ_VAR_DIR=str(tmp_path), SECRET_KEY=strong,
        DEALIQ_EXTRA_ENGINES="mine=tests.support.engines:ExplodingEngine",
    )
    assert refused.returncode != 0 and "DEALIQ_EXTRA_ENGINES is set" in refused.stderr
    unknown = _settings_process("config.settings.production", DEALIQ_VAR_DIR=str(tmp_path), SECRET_KEY=strong,
                                DEALIQ_ENGINE="fake")
    assert unknown.returncode != 0 and "DEALIQ_ENGINE must be one of anthropic, offline" in unknown.stderr


def test_no_settings_module_guesses_the_environment_from_loaded_modules():
    for path in (ROOT / "config").rglob("*.py"):
        text = path.read_text()
        assert "sys.modules" not in text and "sys.argv" not in text, path
