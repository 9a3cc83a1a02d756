"""Each failure of the Messages API maps to TransientError or PermanentError as the issue specifies."""
from __future__ import annotations

import email.utils
import time

import pytest

from dealiq.engines import build_engine
from dealiq.engines.anthropic_engine.errors import parse_retry_after
from dealiq.errors import PermanentError, TransientError
from dealiq.schemas import DiscoveryRequest, ReasoningRequest
from tests.fakes.anthropic_server import Scripted, document_pages
from tests.fakes.data_room import DEAL, TARGET_PAGES, fact_record
from tests.fakes.fixtures import claude_engine, engine_config, fake_anthropic  # noqa: F401


def discover(engine, pages=None):
    return engine.discover(DiscoveryRequest(deal=DEAL, domain="applications", entity="target", pages=pages or TARGET_PAGES))


@pytest.mark.parametrize(
    "status, error_type, headers, kind, retry_after",
    [
        (429, "rate_limit_error", {"retry-after": "7"}, "rate_limited", 7.0),
        (429, "rate_limit_error", {"retry-after-ms": "1500"}, "rate_limited", 1.5),
        (429, "rate_limit_error", {}, "rate_limited", None),
        (529, "overloaded_error", {}, "overloaded", None),
        (529, "overloaded_error", {"retry-after": "3"}, "overloaded", 3.0),
        (500, "api_error", {}, "server_error", None),
        (502, "api_error", {}, "server_error", None),
        (503, "api_error", {"retry-after": "2"}, "server_error", 2.0),
        (504, "timeout_error", {}, "server_error", None),
        (408, "timeout_error", {}, "server_error", None),
    ],
)
def test_retryable_statuses_are_transient(claude_engine, fake_anthropic, status, error_type, headers, kind, retry_after):
    fake_anthropic.fail_next(status, error_type, headers=headers)
    with pytest.raises(TransientError) as raised:
        discover(claude_engine)
    assert raised.value.kind == kind
    assert raised.value.retry_after == retry_after
    assert str(status) in str(raised.value) and "req_" in str(raised.value)  # status and request id for the log
    assert len(fake_anthropic.message_requests) == 1  # SDK retries are off: the pipeline retries


@pytest.mark.parametrize(
    "status, error_type, kind",
    [
        (400, "invalid_request_error", "bad_request"),
        (401, "authentication_error", "authentication"),
        (402, "billing_error", "billing"),
        (403, "permission_error", "permission"),
        (404, "not_found_error", "not_found"),
        (413, "request_too_large", "request_too_large"),
    ],
)
def test_client_errors_are_permanent(claude_engine, fake_anthropic, status, error_type, kind):
    fake_anthropic.fail_next(status, error_type)
    with pytest.raises(PermanentError) as raised:
        discover(claude_engine)
    assert raised.value.kind == kind
    assert len(fake_anthropic.message_requests) == 1


def test_a_spend_limit_429_is_permanent(claude_engine, fake_anthropic):
    body = {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "spend limit", "details": {"error_code": "enforced_spend_limit_reached"}},
    }
    fake_anthropic.enqueue(Scripted(status=429, body=body))
    with pytest.raises(PermanentError) as raised:
        discover(claude_engine)
    assert raised.value.kind == "spend_limit"


def test_a_dropped_connection_is_transient(claude_engine, fake_anthropic):
    fake_anthropic.disconnect_next()
    with pytest.raises(TransientError) as raised:
        discover(claude_engine)
    assert raised.value.kind == "connection"


def test_a_client_timeout_is_transient(fake_anthropic):
    engine = build_engine("anthropic", engine_config(fake_anthropic, timeout=0.3, warmup_gate=False))
    fake_anthropic.slow_next(1.5)
    with pytest.raises(TransientError) as raised:
        discover(engine)
    assert raised.value.kind == "timeout"


def test_the_sdk_may_retry_once_if_configured(fake_anthropic):
    engine = build_engine("anthropic", engine_config(fake_anthropic, max_retries=1, warmup_gate=False))
    fake_anthropic.fail_next(529, headers={"retry-after-ms": "10"})
    assert discover(engine).facts
    assert len(fake_anthropic.message_requests) == 2


def test_invalid_output_is_repaired_once_with_the_validation_error(claude_engine, fake_anthropic):
    fake_anthropic.malformed_next({"facts": "none", "gaps": []})
    result = discover(claude_engine)

    assert result.facts  # the repair answer (computed by the fake) is valid
    first, repair = fake_anthropic.message_requests
    assert repair.body["messages"][0] == first.body["messages"][0]  # same prefix: the cache still applies
    assistant, reply = repair.body["messages"][1:]
    assert assistant["role"] == "assistant" and assistant["content"][0]["type"] == "tool_use"
    (tool_result,) = reply["content"]
    assert tool_result["type"] == "tool_result" and tool_result["is_error"] is True
    assert tool_result["tool_use_id"] == assistant["content"][0]["id"]
    assert "input.facts: expected array" in tool_result["content"]
    assert result.usage.calls == 2
    assert [r.get("repair", False) for r in result.usage.call_records] == [False, True]


def test_invalid_output_twice_is_permanent(claude_engine, fake_anthropic):
    fake_anthropic.malformed_next(times=2)
    with pytest.raises(PermanentError) as raised:
        discover(claude_engine)
    assert raised.value.kind == "invalid_output"
    assert "unexpected 'unexpected'" in str(raised.value)
    assert raised.value.usage.calls == 2  # what the failed step spent is kept on the error
    assert len(fake_anthropic.message_requests) == 2


def _finding(title: str, low, high, refs=("F1",)) -> dict:
    return {
        "finding_type": "risk", "title": title, "description": "d", "reasoning": "r",
        "severity": "high", "phase": "tsa", "cost_low": low, "cost_high": high, "currency": "USD",
        "mitigation": "m", "facts": [{"ref": r, "link_type": "supports"} for r in refs], "gap_refs": [],
    }


def test_a_cost_range_out_of_order_is_removed_and_noted_without_a_repair(claude_engine, fake_anthropic):
    fact = fact_record(discover(claude_engine).facts[0], ref="F1")
    calls_before = len(fake_anthropic.message_requests)
    fake_anthropic.answer_next({"findings": [_finding("ERP end of maintenance", 500, 100), _finding("CRM renewal", 10, 20)]})
    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="applications", facts=[fact], gaps=[]))

    assert len(fake_anthropic.message_requests) == calls_before + 1  # no repair: nothing was dropped
    erp = next(f for f in result.findings if f.title.startswith("ERP"))
    crm = next(f for f in result.findings if f.title.startswith("CRM"))
    assert (erp.cost_low, erp.cost_high) == (None, None) and "cost_low 500 is above cost_high 100" in erp.details["normalised"][0]
    assert (crm.cost_low, crm.cost_high) == (10, 20) and "normalised" not in crm.details
    assert erp.links and crm.links  # the rest of the item is kept
    assert result.items.kept == 2 and result.items.normalised_items == 1
    assert result.items.normalised == {"cost range out of order (range removed)": 1}


def test_one_invalid_item_is_dropped_and_counted_the_others_kept(claude_engine, fake_anthropic):
    fact = fact_record(discover(claude_engine).facts[0], ref="F1")
    calls_before = len(fake_anthropic.message_requests)
    blank = _finding("  ", 1, 2)
    fake_anthropic.answer_next({"findings": [_finding("ERP", None, None), _finding("CRM", 5, 9), blank]})
    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="applications", facts=[fact], gaps=[]))

    assert len(fake_anthropic.message_requests) == calls_before + 1  # 1 of 3 dropped: no repair
    assert sorted(f.title for f in result.findings) == ["CRM", "ERP"]
    assert result.items.dropped == {"empty finding title": 1} and result.items.kept == 2


def test_mostly_invalid_answers_ask_again_for_the_dropped_items_only(claude_engine, fake_anthropic):
    fact = fact_record(discover(claude_engine).facts[0], ref="F1")
    off_schema = {**_finding("Off schema", 1, 2), "severity": "apocalyptic"}
    fake_anthropic.answer_next({"findings": [_finding("ERP", None, None), {**_finding("x", 1, 2), "title": ""}, off_schema]})
    fake_anthropic.answer_next({"findings": [_finding("Off schema", 1, 2)]})
    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="applications", facts=[fact], gaps=[]))

    repair = fake_anthropic.message_requests[-1]
    text = repair.body["messages"][2]["content"][0]["content"]
    assert "2 item(s)" in text and "only the dropped items" in text and "input.findings[2].severity" in text
    assert sorted(f.title for f in result.findings) == ["ERP", "Off schema"]
    assert result.items.dropped == {"empty finding title": 1, "does not match the tool schema": 1}
    assert result.usage.calls == 2


def test_a_step_fails_only_when_nothing_usable_came_back(claude_engine, fake_anthropic):
    fact = fact_record(discover(claude_engine).facts[0], ref="F1")
    useless = {"findings": [{**_finding("x", 1, 2), "title": ""}]}
    fake_anthropic.answer_next(useless, times=2)
    with pytest.raises(PermanentError) as raised:
        claude_engine.reason(ReasoningRequest(deal=DEAL, domain="applications", facts=[fact], gaps=[]))
    assert raised.value.kind == "invalid_output" and "title is empty" in str(raised.value)
    assert raised.value.usage.calls == 2  # both billed answers are on the error


def test_a_max_tokens_cut_is_retried_once_as_two_halves(claude_engine, fake_anthropic):
    fake_anthropic.cut_next()
    result = discover(claude_engine)

    cut, first_half, second_half = fake_anthropic.message_requests
    pages = lambda r: [(d, p) for d, p, _ in document_pages(r)]  # noqa: E731
    assert pages(cut) == [(11, 1), (11, 2), (12, 1), (12, 2)]
    assert pages(first_half) + pages(second_half) == pages(cut)
    assert pages(first_half) and pages(second_half)
    assert {f.document_id for f in result.facts} == {11, 12}
    assert result.usage.calls == 3 and result.usage.call_records[0]["stop_reason"] == "max_tokens"
    assert result.dropped_ungrounded == 2


def test_a_max_tokens_cut_after_splitting_is_permanent(claude_engine, fake_anthropic):
    fake_anthropic.cut_next(times=2)
    with pytest.raises(PermanentError) as raised:
        discover(claude_engine)
    assert raised.value.kind == "max_tokens"
    assert len(fake_anthropic.message_requests) == 2


def test_a_single_page_batch_cut_at_max_tokens_is_split_within_the_page(claude_engine, fake_anthropic):
    fake_anthropic.cut_next()
    result = discover(claude_engine, pages=TARGET_PAGES[1:2])
    assert len(fake_anthropic.message_requests) == 3
    assert all(f.pages == [2] and f.document_id == 11 for f in result.facts)


def test_reasoning_cut_at_max_tokens_is_split_over_the_facts(claude_engine, fake_anthropic):
    facts = [fact_record(f, ref=f"F{i}") for i, f in enumerate(discover(claude_engine).facts, start=1)]
    fake_anthropic.cut_next()
    result = claude_engine.reason(ReasoningRequest(deal=DEAL, domain="applications", facts=facts, gaps=[]))
    assert result.usage.calls == 3
    assert result.findings and result.dropped_links == 2  # one unknown ref per half


def test_parse_retry_after_accepts_an_http_date():
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": later}) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_an_answer_store_replays_paid_answers_of_the_same_request_only(claude_engine, fake_anthropic):
    from dealiq.engines import MemoryAnswerStore

    store = MemoryAnswerStore()
    fake_anthropic.malformed_next(times=2)  # unusable twice: both answers are paid and saved
    request = DiscoveryRequest(deal=DEAL, domain="applications", entity="target", pages=TARGET_PAGES, answers=store)
    with pytest.raises(PermanentError):
        claude_engine.discover(request)
    assert len(store.answers) == 2 and len(fake_anthropic.message_requests) == 2

    with pytest.raises(PermanentError) as again:  # the same request again: replayed, not paid for
        claude_engine.discover(request)
    assert again.value.kind == "invalid_output" and len(fake_anthropic.message_requests) == 2

    other = DiscoveryRequest(deal=DEAL, domain="network", entity="target", pages=TARGET_PAGES, answers=store)
    assert claude_engine.discover(other).facts  # another request: sent (and valid)
    assert len(fake_anthropic.message_requests) == 3
