"""Engines built from Django settings. Extra engines (tests, plugins) register by dotted path:
DEALIQ_EXTRA_ENGINES="name=package.module:ClassName,other=…"."""
from __future__ import annotations

import importlib
import os

from django.conf import settings

from dealiq.engines import Engine, build_engine
from workers.warmup import warmup_gate


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


def _extra_engines() -> dict[str, str]:
    spec = os.environ.get("DEALIQ_EXTRA_ENGINES", "")
    pairs = (item.split("=", 1) for item in spec.split(",") if "=" in item)
    return {name.strip(): path.strip() for name, path in pairs}


def engine_for(name: str | None = None) -> Engine:
    name = name or settings.DEALIQ_ENGINE
    extra = _extra_engines()
    if name in extra:
        module_name, _, class_name = extra[name].partition(":")
        return getattr(importlib.import_module(module_name), class_name)()
    # Only the Claude engine needs its config (and the warm-up gate's Redis client) built.
    return build_engine(name, {"anthropic": anthropic_config()} if name == "anthropic" else {})


def default_engine_name() -> str:
    return settings.DEALIQ_ENGINE
