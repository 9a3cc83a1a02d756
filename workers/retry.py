"""Backoff for transient errors: exponential, capped, full jitter, never sooner than the server asked."""
from __future__ import annotations

import random
from dataclasses import dataclass

_rng = random.Random()


@dataclass(frozen=True)
class Backoff:
    window: float  # the exponential ceiling for this retry: min(cap, base * 2**retries)
    delay: float  # what the retry is scheduled with


def backoff_window(retries: int, *, base: float, cap: float) -> float:
    return min(cap, base * (2**retries))


def backoff(
    retries: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> Backoff:
    """Delay before retry number `retries + 1`.

    "Full jitter" (uniform in [0, window]): workers that hit the same rate limit together spread over
    the whole window instead of coming back in a herd; the window doubles per retry up to `cap`, so the
    expected wait grows. A `retry_after` the server sent is a floor (it knows when capacity returns).
    """
    window = backoff_window(retries, base=base, cap=cap)
    delay = (rng or _rng).uniform(0, window)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return Backoff(window=window, delay=round(delay, 6))


def backoff_delay(retries: int, *, base: float, cap: float, retry_after: float | None = None, rng=None) -> float:
    return backoff(retries, base=base, cap=cap, retry_after=retry_after, rng=rng).delay
