"""Beat has no heartbeat of its own: the periodic watchdog (which beat schedules) stamps one.

"Beat last seen" is therefore "beat sent the watchdog and a worker ran it" — exactly the loop that
recovers stalled runs. Stored as one Redis key on the broker; nothing to store in eager mode.
"""
from __future__ import annotations

import logging
import time

from .broker import broker_is_redis, redis_client

logger = logging.getLogger("dealiq.ops")

BEAT_KEY = "dealiq:beat:last_seen"


def mark_beat_seen(now: float | None = None) -> None:
    if not broker_is_redis():
        return
    try:
        redis_client(timeout=2.0).set(BEAT_KEY, f"{now or time.time():.3f}")
    except Exception as exc:  # the stamp is a health hint; never fail the watchdog over it
        logger.warning("could not record beat last seen: %s", type(exc).__name__)


def beat_last_seen(timeout: float = 1.0) -> float | None:
    """Unix time of the last watchdog run, or None if never seen. Raises if Redis is unreachable."""
    value = redis_client(timeout=timeout).get(BEAT_KEY)
    return float(value) if value else None
