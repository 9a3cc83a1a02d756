"""Pure pieces of the Claude engine: price table, chunking, strict tool schemas, validation, prompts."""
from __future__ import annotations

import json

import pytest

from dealiq.engines.anthropic_engine import prompts
from dealiq.engines.anthropic_engine.chunking import estimate_tokens, plan_batches, split_in_two
from dealiq.engines.anthropic_engine.engine import cache_prefix_key
from dealiq.engines.anthropic_engine.parsing import discovery_items, findings
from dealiq.engines.anthropic_engine.pricing import (
    DEFAULT_PRICES,
    TokenCounts,
    billed_input_tokens,
    call_cost,
    price_for,
)
from dealiq.engines.anthropic_engine.tools import DISCOVERY_TOOL, REASONING_TOOL, schema_errors
from dealiq.schemas import SourcePage
from tests.fakes.data_room import DEAL, TARGET_PAGES

# ---------------------------------------------------------------------- pricing


def test_price_lookup_by_id_and_without_date_suffix():
    assert price_for("claude-sonnet-4-5-20250929").input == 3.0
    assert price_for("claude-haiku-4-5").output == 5.0
    assert price_for("claude-unknown-9") is None
    custom = {"my-model": {"input": 2.0, "output": 8.0, "cache_read": 0.2}}
    price = price_for("my-model", custom)
    assert (price.input, price.cache_read, price.cache_write) == (2.0, 0.2, 1.25)
    assert price_for("claude-sonnet-4-6", custom) is None  # a settings table replaces the default one


def test_cost_uses_cache_multipliers_and_batch_discount():
    price = price_for("claude-sonnet-4-6", DEFAULT_PRICES)
    tokens = TokenCounts(input=1_000, output=2_000, cache_write=10_000, cache_read=100_000)
    # 1,000 + 10,000 × 1.25 + 100,000 × 0.1 = 23,500 input-token equivalents
    assert billed_input_tokens(tokens, price) == pytest.approx(23_500)
    assert call_cost(tokens, price) == pytest.approx((23_500 * 3 + 2_000 * 15) / 1e6)
    batch = TokenCounts(input=1_000, output=2_000, service_tier="batch")
    assert call_cost(batch, price) == pytest.approx((1_000 * 3 + 2_000 * 15) / 1e6 * 0.5)
    one_hour = TokenCounts(cache_write=1_000, cache_write_1h=1_000)
    assert billed_input_tokens(one_hour, price) == pytest.approx(2_000)
    assert call_cost(tokens, None) is None


# ---------------------------------------------------------------------- chunking


def _page(doc: int, number: int, chars: int) -> SourcePage:
    return SourcePage(doc, number, ("lorem ipsum " * chars)[:chars])


def test_documents_that_fit_share_one_batch_in_a_stable_order():
    pages = [_page(2, 1, 700), _page(1, 2, 700), _page(1, 1, 700)]
    (batch,) = plan_batches(pages, token_budget=10_000)
    assert [(p.document_id, p.page_number) for p in batch] == [(1, 1), (1, 2), (2, 1)]
    assert plan_batches(list(reversed(pages)), 10_000) == [batch]


def test_batches_respect_the_budget_splitting_by_document_then_page():
    pages = [_page(1, n, 3_500) for n in range(1, 5)] + [_page(2, 1, 350)]  # 1,000 and 100 tokens a page
    batches = plan_batches(pages, token_budget=2_100)
    assert [[(p.document_id, p.page_number) for p in b] for b in batches] == [
        [(1, 1), (1, 2)],
        [(1, 3), (1, 4)],
        [(2, 1)],
    ]


def test_a_page_larger_than_the_budget_is_cut_into_pieces():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 200 for i in range(10))
    batches = plan_batches([SourcePage(1, 3, text)], token_budget=800)
    assert len(batches) > 1
    assert all(len(b) == 1 and b[0].page_number == 3 for b in batches)
    assert all(estimate_tokens(b[0].text) <= 800 for b in batches)
    assert "".join(b[0].text for b in batches).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_split_in_two():
    first, second = split_in_two([_page(1, 1, 1000), _page(1, 2, 1000), _page(1, 3, 1000)])
    assert len(first) + len(second) == 3 and first and second
    (a,), (b,) = split_in_two([SourcePage(1, 1, "sentence one. " * 100)])
    assert a.page_number == b.page_number == 1 and a.text and b.text
    assert split_in_two([SourcePage(1, 1, "tiny")]) is None


# ---------------------------------------------------------------------- tools and validation


def _objects(schema):
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


@pytest.mark.parametrize("tool", [DISCOVERY_TOOL, REASONING_TOOL])
def test_tools_are_strict_and_closed(tool):
    assert tool["strict"] is True
    for obj in _objects(tool["input_schema"]):
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])


def test_schema_errors_name_the_path():
    assert schema_errors({"facts": [], "gaps": []}, DISCOVERY_TOOL["input_schema"]) == []
    errors = schema_errors(
        {"facts": [{"category": "x", "item": 1, "details": [], "evidence": "e", "document_id": True, "page": 1}], "gaps": [], "x": 1},
        DISCOVERY_TOOL["input_schema"],
    )
    assert "input: unexpected 'x'" in errors
    assert "input.facts[0].item: expected string, got int" in errors
    assert "input.facts[0].document_id: expected integer, got bool" in errors
    assert "input.facts[0]" in " ".join(errors)


def test_discovery_items_drop_an_empty_evidence_and_keep_the_rest():
    good = {"category": "erp", "item": "SAP", "details": [], "evidence": "SAP ECC 6.0", "document_id": 1, "page": 1}
    data = {"facts": [{**good, "evidence": " "}, good], "gaps": []}
    parsed = discovery_items(data, domain="applications", entity="target")
    assert [f.item for f in parsed.items] == ["SAP"]
    assert parsed.report.dropped == {"empty evidence quote": 1} and parsed.report.kept == 1
    assert "input.facts[0].evidence is empty" in parsed.errors
    assert not parsed.mostly_invalid  # one of two: no repair


def test_findings_drop_unknown_refs_and_deduplicate_links():
    finding = {
        "finding_type": "risk", "title": "T", "description": "d", "reasoning": "r", "severity": "low",
        "phase": "day_1", "cost_low": None, "cost_high": 10, "currency": "eur", "mitigation": "m",
        "facts": [{"ref": "F1", "link_type": "supports"}, {"ref": "F1", "link_type": "triggers"}, {"ref": "F9", "link_type": "supports"}],
        "gap_refs": ["G1", "G7"],
    }
    parsed = findings({"findings": [finding]}, domain="network", fact_keys={"F1": "k1"}, gap_keys={"G1": "g1"})
    (item,) = parsed.items
    assert parsed.dropped_links == 1
    assert [(l.fact_key, l.link_type) for l in item.links] == [("k1", "supports")]
    assert item.details["gap_keys"] == ["g1"] and item.currency == "EUR"
    assert len(item.details["normalised"]) == 2  # the unknown fact ref and the unknown gap ref
    assert parsed.report.normalised == {"unknown fact ref (link removed)": 1, "unknown gap ref (link removed)": 1}


def test_findings_remove_a_non_positive_cost_range():
    finding = {
        "finding_type": "risk", "title": "T", "description": "d", "reasoning": "r", "severity": "low",
        "phase": "day_1", "cost_low": -5, "cost_high": 10, "currency": "USD", "mitigation": "m",
        "facts": [], "gap_refs": [],
    }
    (item,) = findings({"findings": [finding]}, domain="network", fact_keys={}, gap_keys={}).items
    assert (item.cost_low, item.cost_high) == (None, None) and "positive" in item.details["normalised"][0]


# ---------------------------------------------------------------------- prompts


def test_discovery_prefix_is_identical_across_domains_and_differs_across_entities():
    keys = {
        cache_prefix_key(prompts.discovery_params(model="m", max_tokens=10, deal=DEAL, domain=d, entity="target", pages=TARGET_PAGES))
        for d in ("applications", "network", "organization")
    }
    assert len(keys) == 1
    buyer = prompts.discovery_params(model="m", max_tokens=10, deal=DEAL, domain="network", entity="buyer", pages=TARGET_PAGES)
    assert cache_prefix_key(buyer) not in keys


def test_documents_are_framed_as_untrusted_data_with_ids_and_pages():
    params = prompts.discovery_params(model="m", max_tokens=10, deal=DEAL, domain="network", entity="target", pages=TARGET_PAGES)
    blocks = params["messages"][0]["content"]
    assert [b["type"] for b in blocks] == ["text", "document", "document", "text"]
    assert blocks[1]["title"] == "doc 11: it-overview.md"
    assert blocks[1]["source"]["data"].count("[page ") == 2
    assert "untrusted" in params["system"][0]["text"]
    for domain in ("applications", "identity_access", "organization"):
        assert f"- {domain}: " in params["system"][0]["text"]  # the catalogue of scopes


def test_prompts_are_compact():
    # The per-call overhead (tools + system) is sent with every call; keep it well under 1,500 tokens.
    overhead = len(json.dumps(DISCOVERY_TOOL)) + len(prompts.DISCOVERY_SYSTEM)
    assert overhead / 4 < 1_500


def test_estimated_calls_is_one_per_batch_of_the_token_budget():
    from dealiq.engines.anthropic_engine import AnthropicEngine
    from dealiq.engines.anthropic_engine.warmup import NoWarmupGate

    engine = AnthropicEngine(api_key="k", token_budget=1000, warmup_gate=NoWarmupGate())
    assert [engine.estimated_calls(t) for t in (0, 1, 1000, 1001, 3500)] == [1, 1, 1, 2, 4]
