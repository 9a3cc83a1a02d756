"""AnthropicEngine: discovery and reasoning by Claude, grounded like the offline engine.

discover(request): plan batches of the entity's pages (chunking), skip the batches the pipeline has
already saved, and for each remaining batch make one forced-tool call, validate the answer (one repair
round if invalid), ground every fact against the pages, report the batch to the pipeline
(`on_batch_done`) and go on. A response cut at max_tokens is retried once with the batch split in two.

reason(request): one forced-tool call over the domain's saved facts and gaps (refs in, refs out);
links to unknown fact refs are dropped and counted.

Every call's usage (tokens, cache tokens, request id, service tier, cost) is recorded in
Usage.call_records and summed per step.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Callable, Mapping

from ...domains import DOMAINS_BY_KEY
from ...errors import EngineError, PermanentError
from ...grounding import PageIndex, ground_facts
from ...schemas import (
    DiscoveryRequest,
    DiscoveryResult,
    FactItem,
    FactRecord,
    FindingItem,
    GapItem,
    GapRecord,
    ReasoningRequest,
    ReasoningResult,
    SourcePage,
    Usage,
)
from . import parsing, prompts
from .chunking import ordered, plan_batches, split_in_two
from .client import CallResult, ClaudeClient
from .parsing import OutputInvalid
from .pricing import TokenCounts, call_cost, price_for
from .tools import DISCOVERY_TOOL_NAME, REASONING_TOOL_NAME
from .warmup import FileWarmupGate, NoWarmupGate, WarmupGate

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-sonnet-4-6"  # claude-sonnet-4-5 reaches end-of-life on 2026-11-30 (SDK DEPRECATED_MODELS)
DEFAULT_MAX_TOKENS = 8192
DEFAULT_TOKEN_BUDGET = 120_000  # document tokens per discovery call; leaves room in a 200k window
DEFAULT_CONTEXT_TOKENS = 200_000

_CUT_SHORT = ("max_tokens", "model_context_window_exceeded")


class _NeedsSplit(Exception):
    """The batch did not fit: the answer was cut at max_tokens, or the request exceeds the context."""


class AnthropicEngine:
    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        reasoning_model: str | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float = 300.0,
        max_retries: int = 0,
        token_budget: int = DEFAULT_TOKEN_BUDGET,
        prices: Mapping[str, Mapping[str, Any]] | None = None,
        cache_ttl: str = "5m",
        count_tokens: bool = False,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        warmup_gate: WarmupGate | bool | None = None,
        client: ClaudeClient | None = None,
    ):
        if cache_ttl not in ("5m", "1h"):
            raise ValueError("cache_ttl must be '5m' or '1h'")
        self.model = model
        self.reasoning_model = reasoning_model or model
        self.max_tokens = max_tokens
        self.token_budget = token_budget
        self.prices = prices
        self.cache_ttl = cache_ttl
        self.count_tokens = count_tokens
        self.context_tokens = context_tokens
        self._client = client or ClaudeClient(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
        if warmup_gate is None or warmup_gate is True:
            warm_ttl = 240.0 if cache_ttl == "5m" else 3300.0
            warmup_gate = FileWarmupGate(warm_ttl=warm_ttl, max_wait=timeout)
        self._gate: WarmupGate = warmup_gate or NoWarmupGate()

    def estimated_calls(self, input_tokens: int) -> int:
        """Messages API calls a step sending `input_tokens` of documents makes (one per batch)."""
        return max(1, -(-int(input_tokens) // max(1, self.token_budget)))

    # ------------------------------------------------------------------ Message Batches API

    supports_message_batches = True

    def discovery_batch_requests(self, request: DiscoveryRequest) -> list[tuple[int, dict[str, Any]]]:
        """(batch index, messages.create params) of the discovery calls not yet saved: what goes into a
        Message Batch. The params are those a direct call would send, so the answers feed the same path."""
        pages = ordered(request.pages)
        if not pages:
            return []
        batches = plan_batches(pages, self.token_budget)
        saved = _saved_batches(request.completed_batches)
        return [
            (number, self._discovery_params(request, batch, number, len(batches)))
            for number, batch in enumerate(batches)
            if number not in saved
        ]

    def submit_message_batch(self, requests: list[tuple[str, dict[str, Any]]]) -> str:
        return self._client.submit_batch(requests)

    def message_batch_ended(self, batch_id: str) -> bool:
        return self._client.batch_ended(batch_id)

    def message_batch_results(self, batch_id: str) -> dict[str, CallResult]:
        return self._client.batch_results(batch_id)

    # ------------------------------------------------------------------ discovery

    def discover(self, request: DiscoveryRequest) -> DiscoveryResult:
        _known_domain(request.domain)
        pages = ordered(request.pages)
        if not pages:
            return DiscoveryResult(usage=Usage(model=self.model))
        index = PageIndex(request.pages)
        batches = plan_batches(pages, self.token_budget)
        saved = _saved_batches(request.completed_batches)
        total = DiscoveryResult(usage=Usage(model=self.model))
        for number, batch in enumerate(batches):
            if number in saved:
                total.extend(saved[number])
                continue
            _stop_if_cancelled(request.should_stop)
            result = self._discover_batch(request, batch, number, len(batches), index)
            if request.on_batch_done is not None:
                request.on_batch_done(number, result)
            total.extend(result)
        return _without_duplicates(total)

    def _discover_batch(
        self, request: DiscoveryRequest, pages: list[SourcePage], number: int, count: int, index: PageIndex
    ) -> DiscoveryResult:
        usage = Usage(model=self.model)
        try:
            facts, gaps = self._discover_pages(request, pages, number, count, usage)
        except EngineError as exc:
            exc.usage = usage  # what was spent before failing, for the step's record
            raise
        return ground_facts(DiscoveryResult(facts=facts, gaps=gaps, usage=usage), index)

    def _discover_pages(
        self, request: DiscoveryRequest, pages: list[SourcePage], number: int, count: int, usage: Usage
    ) -> tuple[list[FactItem], list[GapItem]]:
        """One call over the pages; if it does not fit, once more as two calls over the two halves."""
        what = f"discovery of {request.domain}/{request.entity} batch {number}"
        try:
            return self._discovery_call(request, pages, number, count, usage)
        except _NeedsSplit:
            pass
        halves = split_in_two(pages)
        if halves is None:
            raise PermanentError(
                f"{what} does not fit (answer cut at max_tokens={self.max_tokens} or context exceeded) "
                "and cannot be split further",
                kind="max_tokens",
            )
        log.info("%s cut short: retrying as two halves", what)
        facts: list[FactItem] = []
        gaps: list[GapItem] = []
        for half in halves:
            try:
                half_facts, half_gaps = self._discovery_call(request, half, number, count, usage, split=True)
            except _NeedsSplit:
                raise PermanentError(
                    f"{what} still cut at max_tokens={self.max_tokens} after splitting the batch in two: "
                    "raise max_tokens or lower token_budget",
                    kind="max_tokens",
                ) from None
            facts += half_facts
            gaps += half_gaps
        return facts, gaps

    def _discovery_params(
        self, request: DiscoveryRequest, pages: list[SourcePage], number: int, count: int
    ) -> dict[str, Any]:
        return prompts.discovery_params(
            model=self.model,
            max_tokens=self.max_tokens,
            deal=request.deal,
            domain=request.domain,
            entity=request.entity,
            pages=pages,
            part=number + 1,
            parts=count,
            cache_ttl=self.cache_ttl,
        )

    def _discovery_call(
        self,
        request: DiscoveryRequest,
        pages: list[SourcePage],
        number: int,
        count: int,
        usage: Usage,
        split: bool = False,
    ) -> tuple[list[FactItem], list[GapItem]]:
        params = self._discovery_params(request, pages, number, count)
        answered = None if split else (request.prefetched or {}).get(number)
        if answered is None and self.count_tokens and self._client.count_tokens(params) + self.max_tokens > self.context_tokens:
            raise _NeedsSplit()

        def parse(data: dict[str, Any]) -> tuple[list[FactItem], list[GapItem]]:
            return parsing.discovery_items(data, domain=request.domain, entity=request.entity)

        tags = {"kind": "discover", "domain": request.domain, "entity": request.entity, "batch": number}
        if split:
            tags["split"] = True
        if answered is not None:
            tags["message_batch"] = True
        gate_key = cache_prefix_key(params, endpoint=self._client.endpoint)
        return self._structured_call(params, DISCOVERY_TOOL_NAME, parse, usage, tags, gate_key=gate_key, answered=answered)

    # ------------------------------------------------------------------ reasoning

    def reason(self, request: ReasoningRequest) -> ReasoningResult:
        _known_domain(request.domain)
        facts = _with_refs(request.facts)
        gaps = [(f"G{i}", gap) for i, gap in enumerate(request.gaps, start=1)]
        usage = Usage(model=self.reasoning_model)
        if not facts and not gaps:
            return ReasoningResult(usage=usage)
        _stop_if_cancelled(request.should_stop)
        fact_keys = {ref: fact.key for ref, fact in facts}
        gap_keys = {ref: gap.key for ref, gap in gaps}

        def call(part_facts, part_gaps, split=False):
            return self._reasoning_call(request, part_facts, part_gaps, fact_keys, gap_keys, usage, split)

        try:
            try:
                found, dropped = call(facts, gaps)
            except _NeedsSplit:
                found, dropped = self._reason_in_halves(request.domain, facts, gaps, call)
        except EngineError as exc:
            exc.usage = usage
            raise
        return ReasoningResult(findings=_merge_findings(found), usage=usage, dropped_links=dropped)

    def _reason_in_halves(self, domain: str, facts: list, gaps: list, call: Callable) -> tuple[list[FindingItem], int]:
        """Cut at max_tokens: once more, as two calls over half the facts and gaps each."""
        found: list[FindingItem] = []
        dropped = 0
        for part_facts, part_gaps in _halves(facts, gaps):
            try:
                items, lost = call(part_facts, part_gaps, split=True)
            except _NeedsSplit:
                raise PermanentError(
                    f"reasoning for {domain}: still cut at max_tokens={self.max_tokens} after splitting in two",
                    kind="max_tokens",
                ) from None
            found += items
            dropped += lost
        return found, dropped

    def _reasoning_call(
        self,
        request: ReasoningRequest,
        facts: list[tuple[str, FactRecord]],
        gaps: list[tuple[str, GapRecord]],
        fact_keys: dict[str, str],
        gap_keys: dict[str, str],
        usage: Usage,
        split: bool = False,
    ) -> tuple[list[FindingItem], int]:
        params = prompts.reasoning_params(
            model=self.reasoning_model,
            max_tokens=self.max_tokens,
            deal=request.deal,
            domain=request.domain,
            facts=facts,
            gaps=gaps,
            cache_ttl=self.cache_ttl,
        )

        def parse(data: dict[str, Any]) -> tuple[list[FindingItem], int]:
            return parsing.findings(data, domain=request.domain, fact_keys=fact_keys, gap_keys=gap_keys)

        tags: dict[str, Any] = {"kind": "reason", "domain": request.domain}
        if split:
            tags["split"] = True
        return self._structured_call(params, REASONING_TOOL_NAME, parse, usage, tags)

    # ------------------------------------------------------------------ one structured call

    def _structured_call(
        self,
        params: dict[str, Any],
        tool_name: str,
        parse: Callable[[dict[str, Any]], Any],
        usage: Usage,
        tags: dict[str, Any],
        gate_key: str | None = None,
        answered: CallResult | None = None,
    ) -> Any:
        """Send (or take the answer `answered` already holds), validate, and on invalid output send the
        errors back once (repair)."""
        first = self._accept(answered, usage, tags) if answered is not None else self._send(params, usage, tags, gate_key)
        content = _content(first.message)
        try:
            return parse(parsing.tool_input(content, tool_name))
        except OutputInvalid as exc:
            errors = exc.errors
        log.warning("%s answer invalid (%s): asking once for a repair", tool_name, "; ".join(errors[:3]))
        second = self._send(prompts.repair_params(params, content, errors), usage, {**tags, "repair": True})
        try:
            return parse(parsing.tool_input(_content(second.message), tool_name))
        except OutputInvalid as exc:
            raise PermanentError(
                f"{tool_name} answer still invalid after one repair: {'; '.join(exc.errors[:5])}", kind="invalid_output"
            ) from None

    def _send(self, params: dict[str, Any], usage: Usage, tags: dict[str, Any], gate_key: str | None = None) -> CallResult:
        if gate_key is None:
            result = self._client.create(params)
        else:
            with self._gate.hold(gate_key):
                result = self._client.create(params)
        return self._accept(result, usage, tags)

    def _accept(self, result: CallResult, usage: Usage, tags: dict[str, Any]) -> CallResult:
        """Record an answer's usage; a cut-short answer asks for a split, a refusal fails the step."""
        self._record(result, usage, tags)
        stop_reason = result.message.stop_reason
        if stop_reason in _CUT_SHORT:
            raise _NeedsSplit()
        if stop_reason == "refusal":
            raise PermanentError(f"the model refused to answer (request {result.request_id})", kind="refusal")
        return result

    def _record(self, result: CallResult, usage: Usage, tags: dict[str, Any]) -> None:
        message = result.message
        u = message.usage
        cache_creation = getattr(u, "cache_creation", None)
        tokens = TokenCounts(
            input=u.input_tokens or 0,
            output=u.output_tokens or 0,
            cache_write=u.cache_creation_input_tokens or 0,
            cache_read=u.cache_read_input_tokens or 0,
            cache_write_1h=(cache_creation.ephemeral_1h_input_tokens or 0) if cache_creation else 0,
            service_tier=u.service_tier,
        )
        cost = call_cost(tokens, price_for(message.model, self.prices))
        if cost is None:
            log.warning("no price for model %r: call recorded without cost", message.model)
        record = {
            **tags,
            "model": message.model,
            "request_id": result.request_id,
            "input_tokens": tokens.input,
            "output_tokens": tokens.output,
            "cache_creation_input_tokens": tokens.cache_write,
            "cache_read_input_tokens": tokens.cache_read,
            "service_tier": tokens.service_tier,
            "stop_reason": message.stop_reason,
            "cost": cost or 0.0,
            "priced": cost is not None,  # False: the model is missing from the price table
            "duration_ms": result.duration_ms,
        }
        if result.rate_limits:
            record["rate_limits"] = result.rate_limits
        usage.add(
            Usage(
                calls=1,
                input_tokens=tokens.input,
                output_tokens=tokens.output,
                cache_creation_input_tokens=tokens.cache_write,
                cache_read_input_tokens=tokens.cache_read,
                cost=cost or 0.0,
                model=message.model,
                request_ids=[result.request_id] if result.request_id else [],
                call_records=[record],
            )
        )


# ---------------------------------------------------------------------- helpers


def cache_prefix_key(params: dict[str, Any], endpoint: str = "") -> str:
    """Hash of everything up to the last cache breakpoint: equal keys ⇔ the same cacheable prefix.

    The endpoint is part of the key because each API deployment has its own cache.
    """
    content = params["messages"][0]["content"]
    last = max((i for i, block in enumerate(content) if "cache_control" in block), default=-1)
    prefix = [endpoint, params["model"], params["tools"], params["tool_choice"], params["system"], content[: last + 1]]
    return hashlib.sha256(json.dumps(prefix, ensure_ascii=False).encode()).hexdigest()[:40]


def _content(message: Any) -> list[dict[str, Any]]:
    return [block.model_dump(mode="json", exclude_none=True) for block in message.content]


def _known_domain(domain: str) -> None:
    if domain not in DOMAINS_BY_KEY:
        raise PermanentError(f"unknown domain {domain!r}", kind="bad_request")


def _stop_if_cancelled(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise PermanentError("the run was cancelled", kind="cancelled")


def _saved_batches(completed: Mapping[Any, Any] | None) -> dict[int, DiscoveryResult]:
    """completed_batches as {int: DiscoveryResult}; after a JSON round trip keys are str, values dicts."""
    saved = {}
    for number, result in (completed or {}).items():
        saved[int(number)] = result if isinstance(result, DiscoveryResult) else DiscoveryResult.from_dict(result)
    return saved


def _without_duplicates(result: DiscoveryResult) -> DiscoveryResult:
    """First occurrence per natural key wins (the same fact may appear in two batches)."""
    facts: dict[str, FactItem] = {}
    gaps: dict[str, GapItem] = {}
    for fact in result.facts:
        facts.setdefault(fact.key, fact)
    for gap in result.gaps:
        gaps.setdefault(gap.key, gap)
    return DiscoveryResult(
        facts=list(facts.values()),
        gaps=list(gaps.values()),
        usage=result.usage,
        dropped_ungrounded=result.dropped_ungrounded,
    )


def _with_refs(facts: list[FactRecord]) -> list[tuple[str, FactRecord]]:
    """The ref each fact is cited by: its own `ref` when set and unique, else F<n>."""
    refs: list[tuple[str, FactRecord]] = []
    taken: set[str] = set()
    for i, fact in enumerate(facts, start=1):
        ref = (fact.ref or "").strip()
        if not ref or ref in taken or "|" in ref:
            ref = f"F{i}"
            while ref in taken:
                ref += "'"
        taken.add(ref)
        refs.append((ref, fact))
    return refs


def _halves(facts: list, gaps: list) -> list[tuple[list, list]]:
    f, g = (len(facts) + 1) // 2, (len(gaps) + 1) // 2
    return [half for half in ((facts[:f], gaps[:g]), (facts[f:], gaps[g:])) if half[0] or half[1]]


def _merge_findings(findings: list[FindingItem]) -> list[FindingItem]:
    """One finding per natural key; a repeated finding adds its links to the first."""
    merged: dict[str, FindingItem] = {}
    for finding in findings:
        first = merged.setdefault(finding.key, finding)
        if first is not finding:
            known = {link.fact_key for link in first.links}
            first.links.extend(link for link in finding.links if link.fact_key not in known)
    return list(merged.values())
