"""The provider rate limiter every worker shares: requests and tokens per period (settings).

A token bucket whose tokens come back one period after they were spent (a sliding-window log): unlike a
bucket that refills continuously, it can never let more than the limit through in ANY window of one
period, which is what a provider's "N requests per minute" means. With Redis the whole check-and-take is
one Lua script (atomic across processes and machines, timed by the Redis clock so workers' clocks do not
matter); without Redis (embedded mode) the same algorithm runs in-process under a lock.

`acquire` never sleeps: it returns 0 when the call may go ahead, otherwise the seconds to wait.
`StepCallLimiter` is what a step hands its engine (`request.before_call`): the engine asks it right
before each HTTP request to the provider, with what that request counts (one request; uncached input
and cache writes, not cache reads), so a grant is always taken at send time. A short wait is slept
through; a longer one raises `Throttled`, and the step is released for a retry with the wait as its
countdown, without spending an attempt (its saved answers and batches stay).
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from dealiq.errors import Throttled
from dealiq.redis_client import redis_client

# A spent token comes back a little after one period: absorbs network and clock skew between us and
# the provider, who counts at its own end.
GUARD_SECONDS = 0.1

# KEYS[1]: the provider's log (sorted set: member "<uuid>:<tokens>", score = ms when spent).
# ARGV: period ms, max requests (0 = none), max tokens (0 = none), tokens wanted, member id, requests wanted.
# A grant adds one member per request; the first carries the tokens.
# Returns ms to wait (0 = granted, token taken).
_LUA = """
local key = KEYS[1]
local period = tonumber(ARGV[1])
local max_requests = tonumber(ARGV[2])
local max_tokens = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local wanted_requests = tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local count = #entries / 2
local wait = 0
if max_requests > 0 and count + wanted_requests > max_requests then
  -- the (count + wanted - max)-th oldest request must have left the window
  local oldest = tonumber(entries[(count + wanted_requests - max_requests - 1) * 2 + 2])
  wait = math.max(wait, oldest + period - now)
end
if max_tokens > 0 then
  local used = 0
  for i = 1, #entries, 2 do
    used = used + tonumber(string.match(entries[i], ':(%d+)$'))
  end
  if used + wanted > max_tokens then
    local freed = 0
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
      if used - freed + wanted <= max_tokens then
        wait = math.max(wait, tonumber(entries[i + 1]) + period - now)
        break
      end
    end
  end
end
if wait > 0 then
  return wait
end
redis.call('ZADD', key, now, ARGV[5] .. ':' .. wanted)
for i = 2, wanted_requests do
  redis.call('ZADD', key, now, ARGV[5] .. '-' .. i .. ':0')
end
redis.call('PEXPIRE', key, period + 1000)
return 0
"""


@dataclass(frozen=True)
class Limit:
    requests: int
    tokens: int
    period: float

    @property
    def unlimited(self) -> bool:
        return self.requests <= 0 and self.tokens <= 0

    def clamp(self, tokens: int) -> int:
        """A call bigger than the whole budget could never pass: it may take the whole budget."""
        tokens = max(0, int(tokens))
        return min(tokens, self.tokens) if self.tokens > 0 else tokens

    def clamp_requests(self, requests: int) -> int:
        """At least one; never more than the whole budget (or it could never pass)."""
        requests = max(1, int(requests))
        return min(requests, self.requests) if self.requests > 0 else requests


def limit_for(provider: str) -> Limit | None:
    spec = settings.DEALIQ_RATE_LIMITS.get(provider)
    if not spec:
        return None
    limit = Limit(int(spec.get("requests", 0)), int(spec.get("tokens", 0)), settings.DEALIQ_RATE_LIMIT_PERIOD_SECONDS)
    return None if limit.unlimited else limit


class RedisLimiter:
    def __init__(self, url: str, prefix: str = "dealiq:ratelimit:"):
        self.client = redis_client(url)
        self.script = self.client.register_script(_LUA)
        self.prefix = prefix

    def acquire(self, provider: str, limit: Limit, tokens: int, requests: int = 1) -> float:
        period_ms = int((limit.period + GUARD_SECONDS) * 1000)
        wait_ms = self.script(
            keys=[self.prefix + provider],
            args=[period_ms, limit.requests, limit.tokens, limit.clamp(tokens), uuid.uuid4().hex,
                  limit.clamp_requests(requests)],
        )
        return int(wait_ms) / 1000.0

    def reset(self, provider: str) -> None:
        self.client.delete(self.prefix + provider)


class LocalLimiter:
    """The same sliding log in-process (embedded mode: one process does all the work)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.logs: dict[str, deque[tuple[float, int]]] = {}

    def acquire(self, provider: str, limit: Limit, tokens: int, requests: int = 1, *, now: float | None = None) -> float:
        tokens = limit.clamp(tokens)
        requests = limit.clamp_requests(requests)
        period = limit.period + GUARD_SECONDS
        with self.lock:
            now = time.monotonic() if now is None else now
            log = self.logs.setdefault(provider, deque())
            while log and log[0][0] <= now - period:
                log.popleft()
            wait = 0.0
            if limit.requests > 0 and len(log) + requests > limit.requests:
                wait = max(wait, log[len(log) + requests - limit.requests - 1][0] + period - now)
            if limit.tokens > 0:
                used = sum(t for _, t in log)
                freed = 0
                if used + tokens > limit.tokens:
                    for at, spent in log:
                        freed += spent
                        if used - freed + tokens <= limit.tokens:
                            wait = max(wait, at + period - now)
                            break
            if wait > 0:
                return wait
            log.append((now, tokens))
            log.extend((now, 0) for _ in range(requests - 1))
            return 0.0

    def reset(self, provider: str) -> None:
        with self.lock:
            self.logs.pop(provider, None)


@lru_cache(maxsize=4)
def _limiter_for(url: str | None):
    return RedisLimiter(url) if url else LocalLimiter()


def limiter():
    return _limiter_for(settings.DEALIQ_RATE_LIMIT_REDIS_URL)


def acquire(provider: str, tokens: int = 0, requests: int = 1) -> float:
    """0 → go ahead (`requests` requests and `tokens` are now spent); > 0 → seconds to wait before asking
    again (nothing spent)."""
    limit = limit_for(provider)
    if limit is None:
        return 0.0
    return limiter().acquire(provider, limit, tokens, requests)


class StepCallLimiter:
    """The `before_call` hook of one step (dealiq.engines.CallLimiter) for `provider`.

    Sleeping in the worker is allowed for waits summing to `max_sleep` seconds per step: releasing the
    step costs a release transaction, a retry message, a countdown in the broker and a new claim (and the
    step's inputs read again), more than a wait of a few hundred milliseconds; the step's heartbeat thread
    keeps it alive meanwhile. A longer wait raises Throttled with the wait, and the worker is freed."""

    def __init__(self, provider: str, *, max_sleep: float | None = None, sleep=time.sleep):
        self.provider = provider
        self.max_sleep = settings.DEALIQ_RATE_LIMIT_MAX_SLEEP_SECONDS if max_sleep is None else max_sleep
        self.slept = 0.0
        self.granted: list[int] = []  # input tokens of each granted call, in order (for logs and tests)
        self._sleep = sleep

    def __call__(self, *, input_tokens: int, requests: int = 1) -> None:
        while True:
            wait = acquire(self.provider, input_tokens, requests)
            if wait <= 0:
                self.granted.append(int(input_tokens))
                return
            if self.slept + wait > self.max_sleep:
                raise Throttled(
                    f"rate limit of {self.provider}: no room for {requests} request(s) and {int(input_tokens)} "
                    f"input tokens for {wait:.2f}s",
                    retry_after=wait,
                )
            self._sleep(wait)
            self.slept += wait
