"""The shared rate limiter's arithmetic: in-process (embedded mode) and the Redis Lua script (workers).

The two-worker test in test_workers_reliability.py shows the limit holds across processes; these show
the rules themselves: requests and tokens per sliding period, several requests taken at once, nothing
spent on a refusal, and a request larger than the whole budget still able to pass.
"""
from __future__ import annotations

import time
import uuid

import pytest

from tests.fakes.fixtures import fake_anthropic  # noqa: F401
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


# --- what a model call counts, and when it is counted ------------------------------------------------
# The limiter is asked by the engine right before each Messages API request, with the tokens the API
# counts against input-tokens-per-minute: uncached input and cache writes, not cache reads.


class RecordingLimiter:
    """A before_call hook that lets every call go and notes what it was asked, in order."""

    def __init__(self, server):
        self.server = server
        self.asked: list[tuple[int, int]] = []  # (input tokens asked, requests the server had received)

    def __call__(self, *, input_tokens: int, requests: int = 1) -> None:
        self.asked.append((input_tokens, len(self.server.message_requests)))


def provider_counted(request) -> int:
    """What the API counts toward input tokens per minute for one answered request."""
    usage = request.reply["usage"]
    return usage["input_tokens"] + usage["cache_creation_input_tokens"]


def test_a_cached_prefix_counts_when_written_and_not_when_read():
    from dealiq.engines.anthropic_engine.engine import limited_input_tokens
    from dealiq.engines.anthropic_engine.prompts import discovery_params
    from tests.fakes.data_room import DEAL, PAGES

    params = discovery_params(model="m", max_tokens=100, deal=DEAL, domain="network", entity="target", pages=PAGES["target"])
    cold = limited_input_tokens(params, warm=False)
    warm = limited_input_tokens(params, warm=True)
    assert cold > 1024 and 0 < warm < cold / 10  # the documents are the prefix; only the task is left
    # A prefix under the API's minimum is never cached: "warm" or not, all of it counts.
    assert limited_input_tokens(params, warm=True, min_cache_tokens=10 * cold) == cold


def test_parallel_domains_take_their_grant_right_before_each_call_counting_writes_not_reads(fake_anthropic, tmp_path):  # noqa: F811
    from concurrent.futures import ThreadPoolExecutor

    from dealiq.domains import DOMAIN_KEYS
    from dealiq.engines import build_engine
    from dealiq.engines.anthropic_engine.warmup import FileWarmupGate
    from dealiq.schemas import DiscoveryRequest
    from tests.fakes.data_room import DEAL, PAGES
    from tests.fakes.fixtures import engine_config

    fake_anthropic.latency = 0.1
    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path), prewarm=True))
    limiter = RecordingLimiter(fake_anthropic)

    def one(domain):
        return engine.discover(DiscoveryRequest(
            deal=DEAL, domain=domain, entity="target", pages=PAGES["target"], before_call=limiter, shared_by=6,
        ))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, DOMAIN_KEYS))

    requests = fake_anthropic.message_requests
    assert len(requests) == 6 and len(limiter.asked) == 6  # one grant per HTTP request
    # The leader's grant came first and counted the prefix it wrote; the others came after it was sent.
    grants = sorted(limiter.asked, key=lambda grant: grant[1])
    assert grants[0][1] == 0 and all(at >= 1 for _, at in grants[1:])
    assert [bool(r.reply["usage"]["cache_read_input_tokens"]) for r in requests] == [False] + [True] * 5
    # Asked about what the API counts (estimated on the safe side), not about the cache reads.
    counted = sum(provider_counted(r) for r in requests)
    sent = sum(provider_counted(r) + r.reply["usage"]["cache_read_input_tokens"] for r in requests)
    asked = sum(tokens for tokens, _ in limiter.asked)
    assert counted <= asked <= 1.6 * counted
    assert asked < sent / 3
    assert max(tokens for tokens, _ in limiter.asked) == grants[0][0]  # the leader wrote the prefix


def test_the_step_limiter_sleeps_through_a_short_wait_and_hands_back_a_long_one(settings):
    from dealiq.errors import Throttled
    from workers import ratelimit

    provider = f"p-{uuid.uuid4().hex[:8]}"
    settings.DEALIQ_RATE_LIMIT_REDIS_URL = None  # the in-process limiter
    settings.DEALIQ_RATE_LIMITS = {provider: {"requests": 1, "tokens": 0}}
    settings.DEALIQ_RATE_LIMIT_PERIOD_SECONDS = 0.2
    slept = []
    patient = ratelimit.StepCallLimiter(provider, max_sleep=1.0, sleep=lambda s: (slept.append(s), time.sleep(s)))
    patient(input_tokens=10)
    patient(input_tokens=10)  # the window is full: waits it out in the worker, then goes
    assert len(slept) == 1 and 0 < slept[0] <= 0.2 + GUARD_SECONDS and patient.granted == [10, 10]

    impatient = ratelimit.StepCallLimiter(provider, max_sleep=0.0)
    with pytest.raises(Throttled) as raised:
        impatient(input_tokens=10)
    assert raised.value.kind == "throttled" and 0 < raised.value.retry_after <= 0.2 + GUARD_SECONDS
    assert impatient.granted == []  # nothing taken: the step is released and asks again later
