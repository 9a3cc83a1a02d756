"""What a Messages API call cost, from a price table the Django settings own.

Price table format (JSON-friendly, so it can live in settings or an environment variable):

    {
        "<model id>": {
            "input": 3.00,          # USD per million uncached input tokens
            "output": 15.00,        # USD per million output tokens
            "cache_write": 1.25,    # multiplier of "input" for tokens written to the 5-minute cache
            "cache_write_1h": 2.0,  # multiplier of "input" for tokens written to the 1-hour cache
            "cache_read": 0.10,     # multiplier of "input" for tokens read from the cache
            "batch": 0.50,          # multiplier of the whole call on the batch service tier
        },
        ...
    }

Only "input" and "output" are required; the multipliers default to Anthropic's published ones.
A model is looked up by its exact id, then without a date suffix ("claude-sonnet-4-5-20250929" →
"claude-sonnet-4-5"). An unknown model is not guessed at: its calls are recorded with cost None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

MTOK = 1_000_000

DEFAULT_MULTIPLIERS = {"cache_write": 1.25, "cache_write_1h": 2.0, "cache_read": 0.10, "batch": 0.50}

# Anthropic list prices, USD per million tokens (https://www.anthropic.com/pricing), for the models in
# service. Settings may replace the whole table; this is the fallback. Models missing here (newer
# families) are recorded with cost 0 and priced=False until the table gets their price.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "claude-opus-4-8": {"input": 5.00, "output": 25.00},
    "claude-opus-4-7": {"input": 5.00, "output": 25.00},
    "claude-opus-4-6": {"input": 5.00, "output": 25.00},
    "claude-opus-4-5": {"input": 5.00, "output": 25.00},
    "claude-opus-4-1": {"input": 15.00, "output": 75.00},
    "claude-sonnet-4-6": {"input": 3.00, "output": 15.00},
    "claude-sonnet-4-5": {"input": 3.00, "output": 15.00},
    "claude-haiku-4-5": {"input": 1.00, "output": 5.00},
}

_DATE_SUFFIX = re.compile(r"(-\d{8}|@\d{8})$")


@dataclass(frozen=True)
class ModelPrice:
    input: float
    output: float
    cache_write: float = DEFAULT_MULTIPLIERS["cache_write"]
    cache_write_1h: float = DEFAULT_MULTIPLIERS["cache_write_1h"]
    cache_read: float = DEFAULT_MULTIPLIERS["cache_read"]
    batch: float = DEFAULT_MULTIPLIERS["batch"]

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> "ModelPrice":
        known = {k: float(v) for k, v in entry.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class TokenCounts:
    """The token fields of one response's usage. `cache_write_1h` is the 1-hour part of `cache_write`."""

    input: int = 0
    output: int = 0
    cache_write: int = 0
    cache_read: int = 0
    cache_write_1h: int = 0
    service_tier: str | None = None


def price_for(model: str, prices: Mapping[str, Mapping[str, Any]] | None = None) -> ModelPrice | None:
    table = DEFAULT_PRICES if prices is None else prices
    for candidate in (model, _DATE_SUFFIX.sub("", model or "")):
        if candidate in table:
            return ModelPrice.from_entry(table[candidate])
    return None


def billed_input_tokens(tokens: TokenCounts, price: ModelPrice) -> float:
    """Input tokens weighted by what they cost relative to an uncached input token.

    Caching pays when this is lower than input + cache_write + cache_read (all billed at 1.0).
    """
    write_5m = tokens.cache_write - tokens.cache_write_1h
    return (
        tokens.input
        + write_5m * price.cache_write
        + tokens.cache_write_1h * price.cache_write_1h
        + tokens.cache_read * price.cache_read
    )


def call_cost(tokens: TokenCounts, price: ModelPrice | None) -> float | None:
    """USD cost of one call, or None when the model has no price."""
    if price is None:
        return None
    cost = (billed_input_tokens(tokens, price) * price.input + tokens.output * price.output) / MTOK
    if tokens.service_tier == "batch":
        cost *= price.batch
    return round(cost, 8)
