"""Small readers for settings taken from the environment."""
from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true/false (1/0), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...] | list[str]) -> str:
    """One of `choices`; anything else stops startup with the list of what is accepted."""
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(sorted(choices))}, not {value!r}")
    return value


def env_unset(name: str, why: str) -> None:
    """Refuse to start when `name` is set: the variable has no meaning (or is unsafe) in these settings."""
    if os.environ.get(name, "").strip():
        raise ImproperlyConfigured(f"{name} is set, but {why}; unset it.")


def env_engines(name: str) -> dict[str, str]:
    """Engines named by dotted path, "name=package.module:ClassName,other=…" → {name: "module:Class"}.
    Only the syntax is checked here; the class is imported when a run asks for the engine."""
    spec = os.environ.get(name, "").strip()
    engines: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        engine, sep, path = (s.strip() for s in item.partition("="))
        module, colon, cls = path.partition(":")
        if not (engine and sep and module and colon and cls):
            raise ImproperlyConfigured(
                f'{name}: each item must be "name=package.module:ClassName", not {item!r}'
            )
        engines[engine] = path
    return engines


def env_rate_limits(name: str, default: str) -> dict[str, dict[str, int]]:
    """Per-provider limits, "provider=requests/tokens,…" (e.g. "anthropic=1000/450000") →
    {provider: {"requests": n, "tokens": n}}. 0 or an empty side means no limit on that dimension."""
    value = env_str(name, default) or ""
    limits: dict[str, dict[str, int]] = {}
    for item in (part.strip() for part in value.split(",") if part.strip()):
        provider, sep, pair = (s.strip() for s in item.partition("="))
        requests, _, tokens = (s.strip() for s in pair.partition("/"))
        try:
            parsed = {"requests": int(requests or 0), "tokens": int(tokens or 0)}
        except ValueError:
            parsed = None
        if not (provider and sep) or parsed is None or min(parsed.values()) < 0:
            raise ImproperlyConfigured(
                f'{name}: each item must be "provider=requests/tokens" with whole numbers '
                f'(e.g. "anthropic=1000/450000"), not {item!r}'
            )
        limits[provider] = parsed
    return limits


def env_prices(name: str, default: dict[str, dict]) -> dict[str, dict]:
    """A model price table: inline JSON or the path of a JSON file mapping model ids to
    {"input": …, "output": …} (USD per million tokens). Unset → a copy of `default`."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return {model: dict(entry) for model, entry in default.items()}
    try:
        table = json.loads(raw if raw.startswith("{") else Path(raw).read_text())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is neither JSON nor a readable JSON file: {exc}") from exc
    if not isinstance(table, dict) or not all(
        isinstance(v, dict) and "input" in v and "output" in v for v in table.values()
    ):
        raise ImproperlyConfigured(f'{name} must map model ids to {{"input": …, "output": …}}')
    return table
