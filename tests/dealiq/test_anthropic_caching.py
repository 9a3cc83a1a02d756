"""Prompt caching: the six domains' discovery calls for an entity share one byte-identical cached prefix."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from dealiq.domains import DOMAIN_KEYS
from dealiq.engines import build_engine
from dealiq.engines.anthropic_engine.pricing import DEFAULT_PRICES, TokenCounts, billed_input_tokens, price_for
from dealiq.engines.anthropic_engine.warmup import FileWarmupGate, NoWarmupGate
from dealiq.schemas import DiscoveryRequest, Usage
from tests.fakes.data_room import DEAL, PAGES
from tests.fakes.fixtures import claude_engine, engine_config, fake_anthropic  # noqa: F401


def discover_all_domains(engine, entity: str, parallel: bool = False) -> Usage:
    def one(domain: str):
        return engine.discover(DiscoveryRequest(deal=DEAL, domain=domain, entity=entity, pages=PAGES[entity]))

    if parallel:
        with ThreadPoolExecutor(max_workers=len(DOMAIN_KEYS)) as pool:
            results = list(pool.map(one, DOMAIN_KEYS))
    else:
        results = [one(domain) for domain in DOMAIN_KEYS]
    total = Usage()
    for result in results:
        total.add(result.usage)
    return total


def cached_prefix(body: dict) -> str:
    """tools + system + user content up to the last cache_control block, serialised as sent."""
    content = body["messages"][0]["content"]
    last = max(i for i, block in enumerate(content) if "cache_control" in block)
    return json.dumps([body["model"], body["tools"], body["tool_choice"], body["system"], content[: last + 1]])


def billed(records: list[dict], cached: bool = True) -> float:
    price = price_for(records[0]["model"], DEFAULT_PRICES)
    total = 0.0
    for r in records:
        tokens = TokenCounts(
            input=r["input_tokens"], cache_write=r["cache_creation_input_tokens"], cache_read=r["cache_read_input_tokens"]
        )
        if not cached:  # the same prompt without caching: every input token at the base price
            tokens = TokenCounts(input=tokens.input + tokens.cache_write + tokens.cache_read)
        total += billed_input_tokens(tokens, price)
    return total


def test_six_domains_send_the_same_cached_prefix_bytes(claude_engine, fake_anthropic):
    discover_all_domains(claude_engine, "target")
    requests = fake_anthropic.message_requests
    assert [r.domain for r in requests] == list(DOMAIN_KEYS)

    prefixes = {cached_prefix(r.body) for r in requests}
    assert len(prefixes) == 1, "the document prefix must be byte-identical across the six domains"

    for request in requests:
        body = request.body
        assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        content = body["messages"][0]["content"]
        documents = [b for b in content if b["type"] == "document"]
        assert "cache_control" in documents[-1]  # breakpoint on the last shared document block
        assert content[-1]["type"] == "text" and "cache_control" not in content[-1]  # the domain task comes after
        raw = request.raw.decode()
        assert raw.count('"cache_control"') == 2


def test_cache_tokens_are_recorded_and_caching_lowers_billed_input(claude_engine, fake_anthropic):
    usage = discover_all_domains(claude_engine, "target")
    usage.add(discover_all_domains(claude_engine, "buyer"))
    records = usage.call_records

    creations = [r["cache_creation_input_tokens"] > 0 for r in records]
    reads = [r["cache_read_input_tokens"] > 0 for r in records]
    assert creations == [True] + [False] * 5 + [True] + [False] * 5  # one write per entity
    assert reads == [False] + [True] * 5 + [False] + [True] * 5
    assert usage.cache_creation_input_tokens == sum(r["cache_creation_input_tokens"] for r in records)
    assert usage.cache_read_input_tokens == sum(r["cache_read_input_tokens"] for r in records)

    with_cache, without_cache = billed(records), billed(records, cached=False)
    assert with_cache < without_cache
    assert with_cache / without_cache <= 0.4
    # And in money: the recorded costs sum to less than the uncached price of the same tokens.
    price = price_for("claude-sonnet-4-6")
    uncached_cost = (without_cache * price.input + usage.output_tokens * price.output) / 1e6
    assert usage.cost < uncached_cost


def test_parallel_domain_calls_wait_for_the_first_to_warm_the_cache(fake_anthropic, tmp_path):
    fake_anthropic.latency = 0.2
    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path)))
    usage = discover_all_domains(engine, "target", parallel=True)
    writes = sum(1 for r in usage.call_records if r["cache_creation_input_tokens"])
    reads = sum(1 for r in usage.call_records if r["cache_read_input_tokens"])
    assert (writes, reads) == (1, 5)


def test_without_the_gate_parallel_calls_all_pay_the_cache_write(fake_anthropic):
    # Why the gate exists: a cache entry is readable only once its first response has begun.
    fake_anthropic.latency = 0.2
    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=NoWarmupGate()))
    usage = discover_all_domains(engine, "target", parallel=True)
    assert sum(1 for r in usage.call_records if r["cache_creation_input_tokens"]) == 6


def test_one_hour_cache_ttl_is_sent_and_priced_as_such(fake_anthropic):
    engine = build_engine("anthropic", engine_config(fake_anthropic, cache_ttl="1h", warmup_gate=False))
    usage = discover_all_domains(engine, "buyer")
    body = fake_anthropic.message_requests[0].body
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    first = usage.call_records[0]
    price = price_for(first["model"])
    expected = (
        first["input_tokens"] * price.input
        + first["cache_creation_input_tokens"] * price.input * price.cache_write_1h
        + first["output_tokens"] * price.output
    ) / 1e6
    assert first["cost"] == pytest.approx(expected)


def test_the_fake_server_does_not_cache_short_prefixes(fake_anthropic, claude_engine):
    fake_anthropic.min_cacheable_tokens = 10_000_000
    usage = discover_all_domains(claude_engine, "buyer")
    assert usage.cache_creation_input_tokens == usage.cache_read_input_tokens == 0


def test_prewarm_streams_the_leader_and_lets_the_others_go_once_its_response_has_begun(fake_anthropic, tmp_path):  # noqa: F811
    # The others no longer wait for the leader's whole answer: it streams, and the gate opens at its
    # message_start (prompt read, cache written); they read the cache. One write, five reads, no extra call.
    fake_anthropic.latency = 0.3
    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path), prewarm=True))

    def one(domain: str):
        return engine.discover(
            DiscoveryRequest(deal=DEAL, domain=domain, entity="target", pages=PAGES["target"], shared_by=6)
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, DOMAIN_KEYS))
    records = [r for result in results for r in result.usage.call_records]
    assert len(records) == len(fake_anthropic.message_requests) == 6
    writes = [r for r in records if r["cache_creation_input_tokens"]]
    reads = [r for r in records if r["cache_read_input_tokens"]]
    assert (len(writes), len(reads)) == (1, 5) and writes[0]["cache_creation_input_tokens"] > 1024
    streamed = [r for r in fake_anthropic.message_requests if r.body.get("stream")]
    assert len(streamed) == 1 and streamed[0] is fake_anthropic.message_requests[0]  # the leader streamed
    # Its streamed answer is recorded like any other: request id, tokens, cost, facts.
    leader = writes[0]
    assert leader["request_id"] and leader["output_tokens"] > 1 and leader["cost"] > 0
    assert all(result.facts for result in results)


def test_six_reasoning_calls_over_the_deal_share_one_cached_prefix(fake_anthropic, tmp_path):  # noqa: F811
    from dealiq.schemas import ReasoningRequest
    from tests.fakes.data_room import fact_record, gap_record

    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path), prewarm=True))
    found = [
        engine.discover(DiscoveryRequest(deal=DEAL, domain=domain, entity=entity, pages=PAGES[entity]))
        for domain in DOMAIN_KEYS for entity in ("target", "buyer")
    ]
    facts = [fact_record(f, ref=f"F{i}") for i, f in enumerate((f for r in found for f in r.facts), start=1)]
    gaps = [gap_record(g) for r in found for g in r.gaps]
    fake_anthropic.requests.clear()

    def reason(domain: str):
        return engine.reason(ReasoningRequest(
            deal=DEAL, domain=domain, facts=[f for f in facts if f.domain == domain],
            gaps=[g for g in gaps if g.domain == domain], deal_facts=facts, deal_gaps=gaps, shared_by=6,
        ))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = dict(zip(DOMAIN_KEYS, pool.map(reason, DOMAIN_KEYS)))

    calls = fake_anthropic.message_requests
    assert len(calls) == 6
    assert len({cached_prefix(r.body) for r in calls}) == 1  # byte-identical, the domain comes after it
    assert all(r.body["messages"][0]["content"][-1]["text"].startswith("Domain: ") for r in calls)
    usage = [r.reply["usage"] for r in calls]
    writes = [u for u in usage if u["cache_creation_input_tokens"]]
    reads = [u for u in usage if u["cache_read_input_tokens"]]
    assert len(writes) == 1 and len(reads) == 5 and all(u["cache_read_input_tokens"] >= 1024 for u in reads)
    assert all(u["input_tokens"] < u["cache_read_input_tokens"] / 5 for u in reads)  # the task is all that is new
    # Each domain's findings rest on its own facts; refs of the whole deal are known (none dropped but the fake's
    # deliberate unknown ref).
    for domain, result in results.items():
        own = {f.key for f in facts if f.domain == domain}
        assert result.findings and all(link.fact_key in own for f in result.findings for link in f.links)
