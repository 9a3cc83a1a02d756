"""The shared rate limiter's arithmetic: in-process (embedded mode) and the Redis Lua script (workers).

The two-worker test in test_workers_reliability.py shows the limit holds across processes; these show
the rules themselves: requests and tokens per sliding period, several requests taken at once, nothing
spent on a refusal, and a request larger than the whole budget still able to pass.
"""
from __future__ import annotations

import time
import uuid

import pytest

from workers.ratelimit import GUARD_SECONDS, Limit, LocalLimiter, RedisLimiter

from ..support.services import TEST_BROKER_URL, redis_answers, service_missing


def test_local_requests_per_period_slide_rather_than_reset():
    limiter, limit = LocalLimiter(), Limit(requests=3, tokens=0, period=60)
    assert [limiter.acquire("p", limit, 0, now=t) for t in (0, 10, 20)] == [0, 0, 0]
    # The 4th request may go when the first leaves the window: 60 s (+ guard) after it, not at a boundary.
    assert limiter.acquire("p", limit, 0, now=30) == pytest.approx(30 + GUARD_SECONDS)
    assert limiter.acquire("p", limit, 0, now=60 + GUARD_SECONDS + 0.01) == 0


def test_local_several_requests_at_once_wait_for_enough_room_and_a_refusal_spends_nothing():
    limiter, limit = LocalLimiter(), Limit(requests=5, tokens=0, period=60)
    assert limiter.acquire("p", limit, 0, requests=3, now=0) == 0
    assert limiter.acquire("p", limit, 0, requests=1, now=5) == 0
    # 4 in the window; 3 more need the two oldest (both at t=0) gone.
    assert limiter.acquire("p", limit, 0, requests=3, now=10) == pytest.approx(50 + GUARD_SECONDS)
    assert limiter.acquire("p", limit, 0, requests=1, now=11) == 0  # the refusal took nothing
    assert limiter.acquire("p", limit, 0, requests=1, now=12) > 0
    # More requests than the whole budget are clamped to it: they pass on an empty window.
    assert LocalLimiter().acquire("q", limit, 0, requests=50, now=0) == 0


def test_local_tokens_per_period_and_an_oversized_request_takes_the_whole_budget():
    limiter, limit = LocalLimiter(), Limit(requests=0, tokens=1000, period=60)
    assert limiter.acquire("p", limit, 600, now=0) == 0
    assert limiter.acquire("p", limit, 600, now=1) == pytest.approx(59 + GUARD_SECONDS)
    assert limiter.acquire("p", limit, 400, now=2) == 0
    assert LocalLimiter().acquire("q", limit, 5000, now=0) == 0


@pytest.fixture
def redis_limiter():
    if not redis_answers():
        service_missing(f"Redis does not answer at {TEST_BROKER_URL}")
    limiter = RedisLimiter(TEST_BROKER_URL, prefix=f"dealiq:test-ratelimit:{uuid.uuid4().hex}:")
    yield limiter
    limiter.reset("p")


def test_redis_script_applies_the_same_rules(redis_limiter):
    limit = Limit(requests=5, tokens=1000, period=0.5)
    assert redis_limiter.acquire("p", limit, 100, requests=3) == 0
    assert redis_limiter.acquire("p", limit, 100, requests=2) == 0
    wait = redis_limiter.acquire("p", limit, 100, requests=1)  # 5 requests in the window
    assert 0 < wait <= 0.5 + GUARD_SECONDS
    assert redis_limiter.client.zcard(redis_limiter.prefix + "p") == 5  # the refusal took nothing

    time.sleep(wait + 0.05)
    assert redis_limiter.acquire("p", limit, 900, requests=1) == 0
    assert redis_limiter.acquire("p", limit, 200, requests=1) > 0  # 900 + 200 tokens > 1000
    assert redis_limiter.acquire("p", limit, 100, requests=10) > 0  # clamped to 5, but 1 is in the window
