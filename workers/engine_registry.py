"""Engines built from Django settings. Extra engines (tests, plugins under development) register by
dotted path in settings.DEALIQ_EXTRA_ENGINES — set only by config/settings/local.py and test.py, so
production never imports an engine named by the environment."""
from __future__ import annotations

import importlib
import json
import os
import tempfile
import threading

from django.conf import settings

from dealiq.engines import Engine, build_engine
from workers.redis_warmup_gate import warmup_gate


def anthropic_config() -> dict:
    config = {
        "api_key": settings.ANTHROPIC_API_KEY,
        "model": settings.ANTHROPIC_MODEL,
        "max_tokens": settings.ANTHROPIC_MAX_TOKENS,
        "timeout": settings.ANTHROPIC_TIMEOUT,
        "max_retries": settings.ANTHROPIC_MAX_RETRIES,
        "token_budget": settings.ANTHROPIC_TOKEN_BUDGET,
        "cache_ttl": settings.ANTHROPIC_CACHE_TTL,
        "prices": settings.ANTHROPIC_PRICES,
        "warmup_gate": warmup_gate(),
        "prewarm": settings.ANTHROPIC_PREWARM,
    }
    if settings.ANTHROPIC_REASONING_MODEL:
        config["reasoning_model"] = settings.ANTHROPIC_REASONING_MODEL
    if settings.ANTHROPIC_BASE_URL:
        config["base_url"] = settings.ANTHROPIC_BASE_URL
    return config


# The Claude engine of this process, per configuration: building one per step cost a new SDK client
# (an HTTP connection pool and an SSL context, ~0.1 s on a busy machine) on every step's first call,
# on the critical path of every chain. The engine and its SDK client are thread-safe.
_ENGINES: dict[tuple, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _anthropic_key() -> tuple:
    names = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "ANTHROPIC_REASONING_MODEL",
             "ANTHROPIC_MAX_TOKENS", "ANTHROPIC_TIMEOUT", "ANTHROPIC_MAX_RETRIES", "ANTHROPIC_TOKEN_BUDGET",
             "ANTHROPIC_CACHE_TTL", "ANTHROPIC_PREWARM", "DEALIQ_WARMUP_REDIS_URL")
    values = tuple(repr(getattr(settings, name, None)) for name in names)
    # The SDK falls back to the environment for a key and URL the settings leave empty.
    env = (os.environ.get("ANTHROPIC_API_KEY"), os.environ.get("ANTHROPIC_BASE_URL"), tempfile.gettempdir())
    return values + (json.dumps(settings.ANTHROPIC_PRICES, sort_keys=True, default=str),) + env


def engine_for(name: str | None = None) -> Engine:
    name = name or settings.DEALIQ_ENGINE
    extra = settings.DEALIQ_EXTRA_ENGINES
    if name in extra:
        module_name, _, class_name = extra[name].partition(":")
        return getattr(importlib.import_module(module_name), class_name)()
    if name != "anthropic":
        return build_engine(name, {})
    key = _anthropic_key()
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            if len(_ENGINES) >= 8:  # settings changed (tests): drop the old ones
                _ENGINES.clear()
            engine = _ENGINES[key] = build_engine(name, {"anthropic": anthropic_config()})
    return engine


def default_engine_name() -> str:
    return settings.DEALIQ_ENGINE
