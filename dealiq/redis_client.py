"""The one answer to "is this URL Redis, and give me a client for it" — for the settings (which default the
rate limiter's and the warm-up gate's Redis to the broker), the operator probes, the rate limiter and the
warm-up gate alike, so they cannot disagree about a URL again.

Celery (kombu) spells a Redis unix socket `redis+socket:///path`; redis-py spells it `unix:///path`.
Both are Redis here, and the client is built from the redis-py spelling. No Django imports: the settings
load this module.
"""
from __future__ import annotations

REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+socket://")


def is_redis_url(url: str | None) -> bool:
    return bool(url) and url.strip().lower().startswith(REDIS_SCHEMES)


def redis_client(url: str, *, timeout: float | None = None):
    """A redis-py client for `url` (any of REDIS_SCHEMES); with `timeout`, connecting and every command
    give up after that many seconds (probes that must never hang)."""
    import redis  # only processes that talk to Redis pay for the import

    url = url.strip()
    if not is_redis_url(url):
        raise ValueError(f"not a Redis URL: {url!r}")
    if url.lower().startswith("redis+socket://"):
        url = "unix://" + url[len("redis+socket://"):]
    options = {} if timeout is None else {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    return redis.Redis.from_url(url, **options)
