"""A whole deal analysed by the Claude engine against the fake server: 6 domains × (2 discoveries + 1 reasoning).

Runs on the small built-in data room always, and on samples/sample-deal/ when it is there.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dealiq.domains import DOMAIN_KEYS
from dealiq.engines import build_engine
from dealiq.engines.anthropic_engine.chunking import estimate_tokens
from dealiq.engines.anthropic_engine.pricing import TokenCounts, billed_input_tokens, price_for
from dealiq.engines.anthropic_engine.warmup import FileWarmupGate
from dealiq.schemas import DealContext
from tests.fakes.data_room import DEAL, PAGES, with_inventories
from tests.fakes.deal_runner import analyse_deal, load_data_room
from tests.fakes.fixtures import engine_config, fake_anthropic  # noqa: F401

SAMPLE_DEAL = Path(__file__).resolve().parents[2] / "samples" / "sample-deal"


def _data_rooms():
    # The tiny built-in room proves completeness and grounding; the budget checks (tokens sent, cache
    # ratio) need a room of realistic size, where the fixed per-call prompt is not most of the bill.
    rooms = [pytest.param(DEAL, PAGES, False, id="built-in"), pytest.param(DEAL, with_inventories(), True, id="inventories")]
    if (SAMPLE_DEAL / "target").is_dir():
        deal = DealContext(
            name="Sample deal", deal_type="carve_out", target_name="Target", buyer_name="Buyer",
            reference_date=dt.date(2025, 6, 30),
        )
        rooms.append(pytest.param(deal, load_data_room(SAMPLE_DEAL), True, id="sample-deal"))
    return rooms


@pytest.mark.parametrize("deal, pages, check_budget", _data_rooms())
def test_whole_deal_completes_grounded_cached_and_compact(fake_anthropic, tmp_path, deal, pages, check_budget):
    fake_anthropic.latency = 0.05
    engine = build_engine("anthropic", engine_config(fake_anthropic, warmup_gate=FileWarmupGate(tmp_path)))

    analysis = analyse_deal(engine, deal, pages)

    # Complete: facts, gaps, findings and fact links for every domain.
    assert len(analysis.discoveries) == 12 and set(analysis.findings) == set(DOMAIN_KEYS)
    assert analysis.facts and analysis.gaps and analysis.all_findings
    assert any(finding.links for finding in analysis.all_findings)
    # Grounded: the fake's fabricated quote is dropped and counted once per discovery call.
    assert analysis.dropped_ungrounded == 12
    assert all("quantum mainframe" not in f.evidence for f in analysis.facts)
    text = {(p.document_id, p.page_number): p.text for entity in pages.values() for p in entity}
    assert all(f.evidence in text[(f.document_id, f.pages[0])] for f in analysis.facts)
    assert analysis.dropped_links == 6  # one unknown ref per reasoning call

    usage = analysis.usage
    assert usage.calls == 18 and len(usage.call_records) == 18 and len(set(usage.request_ids)) == 18
    assert usage.cost == pytest.approx(sum(r["cost"] for r in usage.call_records))
    if check_budget:
        assert_compact_and_cached(usage, pages, fake_anthropic.chars_per_token)


def assert_compact_and_cached(usage, pages, server_chars_per_token: float) -> None:

    # Compact: everything sent stays within 15× the documents' own tokens.
    document_tokens = sum(estimate_tokens(p.text) for entity in pages.values() for p in entity)
    sent = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    server_document_tokens = document_tokens * 3.5 / server_chars_per_token  # same unit as the fake's counts
    assert sent <= 15 * server_document_tokens, (sent, server_document_tokens)

    # Cached: billed input with caching is at most 0.4 of the same tokens without it.
    price = price_for(usage.model)
    records = usage.call_records
    with_cache = sum(
        billed_input_tokens(
            TokenCounts(r["input_tokens"], 0, r["cache_creation_input_tokens"], r["cache_read_input_tokens"]), price
        )
        for r in records
    )
    without_cache = sum(r["input_tokens"] + r["cache_creation_input_tokens"] + r["cache_read_input_tokens"] for r in records)
    assert with_cache / without_cache <= 0.4, with_cache / without_cache
