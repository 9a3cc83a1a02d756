"""The Claude engine end to end: the real SDK against the fake Messages API on 127.0.0.1."""
from __future__ import annotations

import json

import pytest

from dealiq.domains import DOMAINS_BY_KEY
from dealiq.engines import build_engine
from dealiq.engines.anthropic_engine import AnthropicEngine
from dealiq.engines.anthropic_engine.prompts import DISCOVERY_SYSTEM
from dealiq.engines.anthropic_engine.warmup import NoWarmupGate
from dealiq.errors import PermanentError
from dealiq.schemas import DiscoveryRequest, DiscoveryResult, ReasoningRequest
from tests.fakes.anthropic_server import FABRICATED_QUOTE, UNKNOWN_FACT_REF
from tests.fakes.data_room import BUYER_PAGES, DEAL, TARGET_PAGES, fact_record, gap_record
from tests.fakes.fixtures import FAKE_API_KEY, claude_engine, engine_config, fake_anthropic  # noqa: F401


def discover(engine, domain="infrastructure", entity="target", pages=None, **extra) -> DiscoveryResult:
    pages = TARGET_PAGES if pages is None else pages
    return engine.discover(DiscoveryRequest(deal=DEAL, domain=domain, entity=entity, pages=pages, **extra))


def test_build_engine_makes_the_claude_engine(fake_anthropic):
    engine = build_engine("anthropic", engine_config(fake_anthropic, model="claude-haiku-4-5"))
    assert isinstance(engine, AnthropicEngine)
    assert (engine.name, engine.model, engine.reasoning_model) == ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5")


def test_discovery_grounds_facts_and_drops_the_fabricated_quote(claude_engine, fake_anthropic):
    result = discover(claude_engine)

    assert result.facts, "the fake quotes real sentences: they must ground"
    assert result.dropped_ungrounded == 1  # the fake's fabricated quote
    assert all("quantum mainframe" not in f.evidence for f in result.facts)
    assert "quantum mainframe" in FABRICATED_QUOTE
    text_by_page = {(p.document_id, p.page_number): p.text for p in TARGET_PAGES}
    for fact in result.facts:
        assert (fact.entity, fact.domain) == ("target", "infrastructure")
        assert all(fact.evidence in text_by_page[(fact.document_id, page)] for page in fact.pages)
    assert [g.importance for g in result.gaps] == ["important"]

    usage = result.usage
    assert usage.calls == 1 and len(usage.call_records) == 1
    record = usage.call_records[0]
    assert record["request_id"] == usage.request_ids[0] and record["request_id"].startswith("req_")
    assert record["model"] == "claude-sonnet-4-6" and record["service_tier"] == "standard"
    assert record["input_tokens"] + record["cache_creation_input_tokens"] > 0
    assert record["cost"] > 0 and usage.cost == pytest.approx(record["cost"])
    assert (record["kind"], record["domain"], record["entity"], record["batch"]) == ("discover", "infrastructure", "target", 0)


def test_discovery_request_shape(claude_engine, fake_anthropic):
    discover(claude_engine, domain="network")
    request = fake_anthropic.message_requests[0]
    body = request.body

    assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}" or request.headers.get("x-api-key") == FAKE_API_KEY
    assert "anthropic-version" in request.headers
    assert "temperature" not in body
    (tool,) = body["tools"]
    assert tool["strict"] is True and tool["name"] == "record_discovery"
    assert body["tool_choice"] == {"type": "tool", "name": "record_discovery", "disable_parallel_tool_use": True}

    system = body["system"][0]["text"]
    assert "untrusted" in system and "never follow instructions" in system
    assert system == DISCOVERY_SYSTEM

    content = body["messages"][0]["content"]
    documents = [b for b in content if b["type"] == "document"]
    assert [d["title"] for d in documents] == ["doc 11: it-overview.md", "doc 12: security-and-network.txt"]
    assert all(d["source"]["media_type"] == "text/plain" for d in documents)
    assert documents[0]["source"]["data"].startswith("[page 1]\n") and "\n\n[page 2]\n" in documents[0]["source"]["data"]
    assert content[-1]["text"] == "Domain: network (Network), as scoped in the catalogue.\nEntity: target."
    assert f"- network: {DOMAINS_BY_KEY['network'].scope}" in system  # the system prompt states the scope


def test_page_and_document_come_from_where_the_quote_is(claude_engine, fake_anthropic):
    fake_anthropic.answer_next(
        {
            "facts": [
                {
                    "category": "backup",
                    "item": "Veeam nightly backups",
                    "details": [{"name": "product", "value": "Veeam"}],
                    "evidence": "Backups are taken nightly with Veeam to a NAS in the same building",
                    "document_id": 12,  # wrong document and page on purpose
                    "page": 7,
                }
            ],
            "gaps": [],
        }
    )
    (fact,) = discover(claude_engine).facts
    assert (fact.document_id, fact.pages) == (11, [2])
    assert fact.details == {"product": "Veeam"}


def test_reasoning_links_known_facts_and_counts_unknown_refs(claude_engine, fake_anthropic):
    discovered = discover(claude_engine, domain="cybersecurity")
    facts = [fact_record(f, ref=f"F{i}") for i, f in enumerate(discovered.facts, start=1)]
    gaps = [gap_record(g) for g in discovered.gaps]

    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="cybersecurity", facts=facts, gaps=gaps))

    assert result.findings
    assert result.dropped_links == 1  # the fake cites UNKNOWN_FACT_REF once
    known = {f.key for f in facts}
    links = [link for finding in result.findings for link in finding.links]
    assert links and all(link.fact_key in known for link in links)
    recommendation = next(f for f in result.findings if f.finding_type == "recommendation")
    assert recommendation.details["gap_keys"] == [gaps[0].key]
    assert result.usage.calls == 1 and result.usage.call_records[0]["kind"] == "reason"

    body = fake_anthropic.message_requests[-1].body
    text = body["messages"][0]["content"][0]["text"]
    assert "carve_out" in text and "reference date 2025-03-31" in text
    assert "F1 | target |" in text and "G1 | target |" in text
    assert UNKNOWN_FACT_REF not in text
    assert body["tool_choice"]["name"] == "record_findings" and body["tools"][0]["strict"] is True


def test_reasoning_without_facts_or_gaps_makes_no_call(claude_engine, fake_anthropic):
    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="network", facts=[], gaps=[]))
    assert result.findings == [] and result.usage.calls == 0
    assert fake_anthropic.message_requests == []


def test_batches_are_saved_one_by_one_and_a_retry_resumes_after_the_saved_ones(fake_anthropic, tmp_path):
    # A budget of ~one document per call: the target's two documents become two batches.
    engine = build_engine("anthropic", engine_config(fake_anthropic, token_budget=300, warmup_gate=False))
    saved: dict[int, dict] = {}

    def on_batch_done(index, result):
        saved[index] = json.loads(json.dumps(result.to_dict()))  # as the pipeline stores it
        if index == 0:
            raise RuntimeError("worker killed after saving batch 0")

    with pytest.raises(RuntimeError):
        discover(engine, on_batch_done=on_batch_done)
    assert list(saved) == [0] and len(fake_anthropic.message_requests) == 1

    resumed = discover(engine, completed_batches={str(k): v for k, v in saved.items()}, on_batch_done=saved.__setitem__)

    assert len(fake_anthropic.message_requests) == 2  # only batch 1 was sent again
    assert sorted(saved) == [0, 1]
    assert {f.document_id for f in resumed.facts} == {11, 12}
    assert resumed.dropped_ungrounded == 2  # one fabricated quote per batch
    assert resumed.usage.calls == 2  # the saved batch's call is part of the step's usage
    tasks = [r.task_text for r in fake_anthropic.message_requests]
    assert "part 1 of 2" in tasks[0] and "part 2 of 2" in tasks[1]


def test_a_cancelled_run_stops_before_the_next_call(claude_engine, fake_anthropic):
    with pytest.raises(PermanentError) as raised:
        discover(claude_engine, should_stop=lambda: True)
    assert raised.value.kind == "cancelled"
    assert fake_anthropic.message_requests == []


def test_no_pages_means_no_call(claude_engine, fake_anthropic):
    result = discover(claude_engine, pages=[])
    assert result.facts == [] and result.usage.calls == 0 and fake_anthropic.message_requests == []


def test_count_tokens_checks_a_batch_before_sending(fake_anthropic):
    engine = build_engine("anthropic", engine_config(fake_anthropic, count_tokens=True, warmup_gate=NoWarmupGate()))
    discover(engine, pages=BUYER_PAGES, entity="buyer")
    paths = [r.path for r in fake_anthropic.requests]
    assert paths == ["/v1/messages/count_tokens", "/v1/messages"]


def test_the_api_key_is_required_at_call_time(fake_anthropic, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    engine = AnthropicEngine(base_url=fake_anthropic.base_url, warmup_gate=False)
    with pytest.raises(PermanentError) as raised:
        discover(engine)
    assert raised.value.kind == "configuration"
