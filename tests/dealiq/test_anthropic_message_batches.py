"""Discovery through the Message Batches API: the same params in a batch, the answers through the same
validation, grounding and usage path, billed at the batch price; failed batch entries called directly."""
from __future__ import annotations

import pytest

from dealiq.schemas import DiscoveryRequest
from tests.fakes.data_room import DEAL, TARGET_PAGES
from tests.fakes.fixtures import claude_engine, fake_anthropic  # noqa: F401


def request(**extra) -> DiscoveryRequest:
    return DiscoveryRequest(deal=DEAL, domain="infrastructure", entity="target", pages=TARGET_PAGES, **extra)


def submit_and_collect(engine, req, fake):
    wanted = engine.discovery_batch_requests(req)
    batch_id = engine.submit_message_batch([(f"b{number}", params) for number, params in wanted])
    assert engine.message_batch_ended(batch_id)
    results = engine.message_batch_results(batch_id)
    return wanted, batch_id, {int(custom_id[1:]): result for custom_id, result in results.items()}


def test_batch_answers_are_grounded_like_direct_ones_and_billed_at_half_price(claude_engine, fake_anthropic):  # noqa: F811
    direct = claude_engine.discover(request())
    fake_anthropic.reset()  # a cold cache for the batch, like the direct call had

    wanted, batch_id, answers = submit_and_collect(claude_engine, request(), fake_anthropic)
    batched = claude_engine.discover(request(prefetched=answers))

    assert [n for n, _ in wanted] == [0] and set(answers) == {0}
    assert fake_anthropic.message_requests == []  # no direct call: the batch answered
    assert [(f.key, f.evidence, f.pages) for f in batched.facts] == [(f.key, f.evidence, f.pages) for f in direct.facts]
    assert batched.dropped_ungrounded == direct.dropped_ungrounded == 1
    record = batched.usage.call_records[0]
    assert record["service_tier"] == "batch" and record["message_batch"] is True
    assert record["request_id"] == f"{batch_id}/b0"
    assert batched.usage.cost == pytest.approx(direct.usage.cost * 0.5)


def test_a_batch_entry_that_errored_is_called_directly(claude_engine, fake_anthropic):  # noqa: F811
    fake_anthropic.fail_next(529)  # the batch's only entry errors (overloaded)
    _, _, answers = submit_and_collect(claude_engine, request(), fake_anthropic)
    assert answers == {}

    result = claude_engine.discover(request(prefetched=answers))

    assert result.facts and len(fake_anthropic.message_requests) == 1
    assert result.usage.call_records[0]["service_tier"] == "standard"


def test_saved_batches_are_not_sent_again(claude_engine, fake_anthropic):  # noqa: F811
    done = claude_engine.discover(request())
    assert claude_engine.discovery_batch_requests(request(completed_batches={0: done})) == []
    assert claude_engine.discovery_batch_requests(
        DiscoveryRequest(deal=DEAL, domain="network", entity="target", pages=[])
    ) == []
