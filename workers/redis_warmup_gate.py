"""The prompt-cache warm-up gate for a fleet: a Redis lock per cache prefix instead of a file lock.

Same contract as dealiq.engines.anthropic_engine.warmup.FileWarmupGate (`hold(key)` context
manager): the first caller for a prefix leads, the others wait until its call returned, then go and
read the cache; once a prefix is marked warm nobody waits; if the leader dies its lock expires and
the waiters go. It uses the Celery broker's Redis, so workers on any number of machines share it.
Without a Redis broker (embedded mode) the file gate is used.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from django.conf import settings

from dealiq.engines.anthropic_engine.warmup import FileWarmupGate
from dealiq.redis_client import is_redis_url, redis_client


class RedisWarmupGate:
    def __init__(self, client, prefix: str = "dealiq:warmup:", warm_ttl: float = 240.0, max_wait: float = 300.0):
        # warm_ttl stays under the API's 5-minute cache lifetime; each call through the gate refreshes it.
        self.client = client
        self.prefix = prefix
        self.warm_ttl = warm_ttl
        self.max_wait = max_wait

    def _is_warm(self, key: str) -> bool:
        return bool(self.client.exists(f"{self.prefix}{key}:warm"))

    def _mark_warm(self, key: str) -> None:
        self.client.set(f"{self.prefix}{key}:warm", "1", px=int(self.warm_ttl * 1000))

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        if self._is_warm(key):
            yield True
            self._mark_warm(key)
            return
        # The lock expires after max_wait so a crashed leader never blocks its followers for good.
        lock = self.client.lock(f"{self.prefix}{key}:lock", timeout=self.max_wait, blocking=False)
        leader = lock.acquire(blocking=False)
        if leader and self._is_warm(key):  # another leader finished just now
            lock.release()
            leader = False
        elif not leader:
            deadline = time.monotonic() + self.max_wait
            while time.monotonic() < deadline and not self._is_warm(key) and self.client.exists(lock.name):
                time.sleep(0.02)
        try:
            yield not leader and self._is_warm(key)
            self._mark_warm(key)
        finally:
            if leader:
                try:
                    lock.release()
                except Exception:  # expired meanwhile: nothing left to release
                    pass


def warmup_gate():
    """The gate for this process: Redis at DEALIQ_WARMUP_REDIS_URL (default: the broker when it is Redis),
    else the per-machine file gate. A Redis error inside the gate reaches the step as a transient error;
    the engine has saved the model's answer before the gate's bookkeeping, so the retry replays it."""
    url = getattr(settings, "DEALIQ_WARMUP_REDIS_URL", None) or ""
    if is_redis_url(url):
        return RedisWarmupGate(redis_client(url))
    return FileWarmupGate()
