"""AnthropicEngine: discovery and reasoning by Claude, grounded like the offline engine.

discover(request): plan batches of the entity's pages (chunking), skip the batches the pipeline has
already saved, and for each remaining batch make one forced-tool call, validate the answer item by
item (one repair round for an unusable answer or for the dropped items of a mostly invalid one),
ground every fact against the pages, report the batch to the pipeline (`on_batch_done`) and go on. A
response cut at max_tokens is retried once with the batch split in two.

reason(request): one forced-tool call over the domain's saved facts and gaps (refs in, refs out);
citations of unknown refs are removed and counted, a cost range out of order is removed and noted.

Every answer is handed to the request's AnswerStore (`request.answers`) the moment it arrives, before
any work on it; an answer the store already holds for the same request is replayed, not paid again.
Every call's usage (tokens, cache tokens, request id, service tier, cost) is in Usage.call_records.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
from dataclasses import dataclass, field
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
from .. import AnswerStore, MemoryAnswerStore
from . import parsing, prompts
from .chunking import estimate_tokens, ordered, plan_batches, split_in_two
from .client import CallResult, ClaudeClient
from .parsing import OutputInvalid, Parsed
from .pricing import TokenCounts, call_cost, price_for
from .tools import DISCOVERY_TOOL_NAME, REASONING_TOOL_NAME
from .warmup import FileWarmupGate, NoWarmupGate, WarmupGate

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-sonnet-4-6"  # claude-sonnet-4-5 reaches end-of-life on 2026-11-30 (SDK DEPRECATED_MODELS)
DEFAULT_MAX_TOKENS = 8192
DEFAULT_TOKEN_BUDGET = 120_000  # document tokens per discovery call; leaves room in a 200k window
DEFAULT_CONTEXT_TOKENS = 200_000

_CUT_SHORT = ("max_tokens", "model_context_window_exceeded")

# The shortest prefix the API caches (Sonnet, Opus: 1,024 tokens; some models need more). Below it a
# "warm" prefix is not cached at all, so the rate limit counts it as uncached input.
MIN_CACHE_TOKENS = 1024


class _NeedsSplit(Exception):
    """The batch did not fit: the answer was cut at max_tokens, or the request exceeds the context."""


@dataclass
class Answer:
    """One paid model answer as the engine keeps it: what the model said and what the call cost."""

    content: list[dict[str, Any]]
    stop_reason: str | None
    model: str
    record: dict[str, Any]  # the call record: tokens, cost, request id, tags
    replayed: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "stop_reason": self.stop_reason, "model": self.model, "record": self.record}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Answer":
        return cls(data["content"], data.get("stop_reason"), data.get("model", ""), data.get("record", {}), replayed=True)

    def usage(self) -> Usage:
        r = self.record
        return Usage(
            calls=1,
            input_tokens=r.get("input_tokens", 0),
            output_tokens=r.get("output_tokens", 0),
            cache_creation_input_tokens=r.get("cache_creation_input_tokens", 0),
            cache_read_input_tokens=r.get("cache_read_input_tokens", 0),
            cost=r.get("cost", 0.0),
            model=self.model,
            request_ids=[r["request_id"]] if r.get("request_id") else [],
            call_records=[r],
        )


def answer_key(params: dict[str, Any]) -> str:
    """The sub-checkpoint key of a request: equal keys ⇔ byte-identical requests (inputs unchanged)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:40]


class AnthropicEngine:
    name = "anthropic"
    # Reasoning reads the whole deal's facts and gaps (ReasoningRequest.deal_facts/deal_gaps) as the prompt
    # prefix the six domains share: the executor passes them, and a step's fingerprint covers them.
    reasons_over_deal = True

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
        prewarm: bool = False,
        min_cache_tokens: int = MIN_CACHE_TOKENS,
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
        # prewarm: the first caller for a prefix several calls share (request.shared_by > 1) streams its
        # call and releases the others once its response has begun (the prefix is cached by then),
        # instead of making them wait for its whole answer.
        self.prewarm = prewarm
        self.min_cache_tokens = min_cache_tokens

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
        store = request.answers or MemoryAnswerStore()
        total = DiscoveryResult(usage=Usage(model=self.model))
        for number, batch in enumerate(batches):
            if number in saved:
                total.extend(saved[number])
                continue
            _stop_if_cancelled(request.should_stop)
            result = self._discover_batch(request, batch, number, len(batches), index, store)
            if request.on_batch_done is not None:
                request.on_batch_done(number, result)
            total.extend(result)
        return _without_duplicates(total)

    def _discover_batch(
        self,
        request: DiscoveryRequest,
        pages: list[SourcePage],
        number: int,
        count: int,
        index: PageIndex,
        store: AnswerStore,
    ) -> DiscoveryResult:
        usage = Usage(model=self.model)
        try:
            parsed = self._discover_pages(request, pages, number, count, usage, store)
        except EngineError as exc:
            exc.usage = usage  # what was spent before failing, for a caller without an answer store
            raise
        facts = [item for item in parsed.items if isinstance(item, FactItem)]
        gaps = [item for item in parsed.items if isinstance(item, GapItem)]
        return ground_facts(DiscoveryResult(facts=facts, gaps=gaps, usage=usage, items=parsed.report), index)

    def _discover_pages(
        self,
        request: DiscoveryRequest,
        pages: list[SourcePage],
        number: int,
        count: int,
        usage: Usage,
        store: AnswerStore,
    ) -> Parsed:
        """One call over the pages; if it does not fit, once more as two calls over the two halves."""
        what = f"discovery of {request.domain}/{request.entity} batch {number}"
        try:
            return self._discovery_call(request, pages, number, count, usage, store)
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
        parsed = Parsed()
        for half in halves:
            try:
                parsed.merge(self._discovery_call(request, half, number, count, usage, store, split=True))
            except _NeedsSplit:
                raise PermanentError(
                    f"{what} still cut at max_tokens={self.max_tokens} after splitting the batch in two: "
                    "raise max_tokens or lower token_budget",
                    kind="max_tokens",
                ) from None
        return parsed

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
        store: AnswerStore,
        split: bool = False,
    ) -> Parsed:
        params = self._discovery_params(request, pages, number, count)
        answered = None if split else (request.prefetched or {}).get(number)
        if (
            answered is None
            and self.count_tokens
            and store.load(answer_key(params)) is None
            and self._client.count_tokens(params) + self.max_tokens > self.context_tokens
        ):
            raise _NeedsSplit()

        def parse(data: dict[str, Any]) -> Parsed:
            return parsing.discovery_items(data, domain=request.domain, entity=request.entity)

        tags = {"kind": "discover", "domain": request.domain, "entity": request.entity, "batch": number}
        if split:
            tags["split"] = True
        if answered is not None:
            tags["message_batch"] = True
        gate_key = cache_prefix_key(params, endpoint=self._client.endpoint)
        return self._structured_call(
            params, DISCOVERY_TOOL_NAME, parse, usage, tags, store, gate_key=gate_key, answered=answered,
            # A half-batch (split after a cut) is this call's alone: nothing to warm for others.
            before_call=request.before_call, prewarm=self.prewarm and request.shared_by > 1 and not split,
        )

    # ------------------------------------------------------------------ reasoning

    def reason(self, request: ReasoningRequest) -> ReasoningResult:
        _known_domain(request.domain)
        usage = Usage(model=self.reasoning_model)
        if not request.facts and not request.gaps:
            return ReasoningResult(usage=usage)
        _stop_if_cancelled(request.should_stop)
        # With the deal's facts and gaps (every domain, both parties) the six domains' calls share one
        # cached prefix listing them all, and each domain reasons with the others in view; the refs
        # cover the whole deal, so a finding may cite another domain's fact.
        deal_wide = bool(request.deal_facts or request.deal_gaps)
        facts = _with_refs(request.deal_facts if deal_wide else request.facts)
        gaps = [(f"G{i}", gap) for i, gap in enumerate(request.deal_gaps if deal_wide else request.gaps, start=1)]
        fact_keys = {ref: fact.key for ref, fact in facts}
        gap_keys = {ref: gap.key for ref, gap in gaps}
        store = request.answers or MemoryAnswerStore()

        def call(part_facts, part_gaps, split=False) -> Parsed:
            return self._reasoning_call(
                request, part_facts, part_gaps, fact_keys, gap_keys, usage, store, split, deal_wide=deal_wide and not split
            )

        try:
            try:
                parsed = call(facts, gaps)
            except _NeedsSplit:
                # Cut at max_tokens: the domain's own facts and gaps, in two halves, without the deal list.
                own_facts = [(ref, f) for ref, f in facts if f.domain == request.domain] if deal_wide else facts
                own_gaps = [(ref, g) for ref, g in gaps if g.domain == request.domain] if deal_wide else gaps
                parsed = self._reason_in_halves(request.domain, own_facts, own_gaps, call)
        except EngineError as exc:
            exc.usage = usage
            raise
        return ReasoningResult(
            findings=_merge_findings(parsed.items), usage=usage, dropped_links=parsed.dropped_links, items=parsed.report
        )

    def _reason_in_halves(self, domain: str, facts: list, gaps: list, call: Callable) -> Parsed:
        """Cut at max_tokens: once more, as two calls over half the facts and gaps each."""
        parsed = Parsed()
        for part_facts, part_gaps in _halves(facts, gaps):
            try:
                parsed.merge(call(part_facts, part_gaps, split=True))
            except _NeedsSplit:
                raise PermanentError(
                    f"reasoning for {domain}: still cut at max_tokens={self.max_tokens} after splitting in two",
                    kind="max_tokens",
                ) from None
        return parsed

    def _reasoning_call(
        self,
        request: ReasoningRequest,
        facts: list[tuple[str, FactRecord]],
        gaps: list[tuple[str, GapRecord]],
        fact_keys: dict[str, str],
        gap_keys: dict[str, str],
        usage: Usage,
        store: AnswerStore,
        split: bool = False,
        *,
        deal_wide: bool = False,
    ) -> Parsed:
        build = prompts.deal_reasoning_params if deal_wide else prompts.reasoning_params
        params = build(
            model=self.reasoning_model,
            max_tokens=self.max_tokens,
            deal=request.deal,
            domain=request.domain,
            facts=facts,
            gaps=gaps,
            cache_ttl=self.cache_ttl,
        )

        def parse(data: dict[str, Any]) -> Parsed:
            return parsing.findings(data, domain=request.domain, fact_keys=fact_keys, gap_keys=gap_keys)

        tags: dict[str, Any] = {"kind": "reason", "domain": request.domain}
        if split:
            tags["split"] = True
        # The deal-wide prefix is the same for the run's domains: the warm-up gate lets one write it.
        shared = deal_wide and request.shared_by > 1
        gate_key = cache_prefix_key(params, endpoint=self._client.endpoint) if shared else None
        return self._structured_call(
            params, REASONING_TOOL_NAME, parse, usage, tags, store, gate_key=gate_key, before_call=request.before_call,
            prewarm=self.prewarm and request.shared_by > 1,
        )

    # ------------------------------------------------------------------ one structured call

    def _structured_call(
        self,
        params: dict[str, Any],
        tool_name: str,
        parse: Callable[[dict[str, Any]], Parsed],
        usage: Usage,
        tags: dict[str, Any],
        store: AnswerStore,
        gate_key: str | None = None,
        answered: CallResult | None = None,
        before_call: Callable[..., None] | None = None,
        prewarm: bool = False,
    ) -> Parsed:
        """Send (or replay / take the answer `answered` already holds) and validate item by item.

        One repair call at most: for an answer unusable as a whole (the whole answer again), or for
        one where most items were dropped (only the dropped items). Fails only when nothing usable
        came back."""
        first = self._call(
            params, usage, tags, store, gate_key=gate_key, answered=answered, before_call=before_call, prewarm=prewarm
        )
        try:
            parsed = parse(parsing.tool_input(first.content, tool_name))
        except OutputInvalid as exc:
            log.warning("%s answer unusable (%s): asking once for a repair", tool_name, "; ".join(exc.errors[:3]))
            repair = prompts.repair_params(params, first.content, exc.errors)
            # The repair keeps the original turns: its prefix is the one the first call just cached.
            second = self._call(repair, usage, {**tags, "repair": True}, store, before_call=before_call, warm=True)
            try:
                return parse(parsing.tool_input(second.content, tool_name))
            except OutputInvalid as again:
                raise PermanentError(
                    f"{tool_name} answer still unusable after one repair: {'; '.join(again.errors[:5])}",
                    kind="invalid_output",
                ) from None
        if not parsed.mostly_invalid:
            return parsed
        log.warning(
            "%s: %d of %d items invalid: asking once for those items again",
            tool_name, parsed.report.dropped_total, parsed.report.dropped_total + len(parsed.items),
        )
        repair = prompts.repair_items_params(params, first.content, parsed.errors)
        try:
            second = self._call(repair, usage, {**tags, "repair": True}, store, before_call=before_call, warm=True)
            parsed.merge(parse(parsing.tool_input(second.content, tool_name)))
        except (OutputInvalid, _NeedsSplit, PermanentError) as exc:
            # The valid items of the first answer stand; only the re-sent ones are lost.
            log.warning("%s: the repair of the dropped items gave nothing usable (%s)", tool_name, exc)
        if not parsed.items:
            raise PermanentError(
                f"{tool_name}: no usable item in the answer or its repair: {'; '.join(parsed.errors[:5])}",
                kind="invalid_output",
            )
        return parsed

    def _call(
        self,
        params: dict[str, Any],
        usage: Usage,
        tags: dict[str, Any],
        store: AnswerStore,
        *,
        gate_key: str | None = None,
        answered: CallResult | None = None,
        before_call: Callable[..., None] | None = None,
        warm: bool = False,
        prewarm: bool = False,
    ) -> Answer:
        """One model answer for `params`: replayed from the store if an earlier attempt paid for it,
        else taken from `answered` or sent; a new answer is saved to the store before anything else.

        `before_call` (the caller's rate limit) is asked right before each HTTP request, with what that
        request counts against the provider's input-tokens-per-minute limit: `warm` says its cached
        prefix is known to be written (then only the rest counts; cache reads do not)."""
        key = answer_key(params)
        saved = store.load(key)
        if saved is not None:
            answer = Answer.from_dict(saved)
        elif answered is not None:
            answer = self._answer(answered, tags)
            store.save(key, answer.to_dict())
        elif gate_key is None:
            answer = self._send(params, tags, store, key, before_call, warm)
        elif prewarm:
            answer = self._lead_or_follow(params, tags, store, key, gate_key, before_call)
        else:
            with self._gate.hold(gate_key) as was_warm:
                answer = self._send(params, tags, store, key, before_call, warm=bool(was_warm))
                # (saved inside the gate: its bookkeeping comes after the save)
        usage.add(answer.usage())
        if answer.stop_reason in _CUT_SHORT:
            raise _NeedsSplit()
        if answer.stop_reason == "refusal":
            request_id = answer.record.get("request_id")
            raise PermanentError(f"the model refused to answer (request {request_id})", kind="refusal")
        return answer

    def _send(
        self,
        params: dict[str, Any],
        tags: dict[str, Any],
        store: AnswerStore,
        key: str,
        before_call: Callable[..., None] | None,
        warm: bool,
    ) -> Answer:
        if before_call is not None:
            before_call(input_tokens=limited_input_tokens(params, warm=warm, min_cache_tokens=self.min_cache_tokens))
        answer = self._answer(self._client.create(params), tags)
        store.save(key, answer.to_dict())
        return answer

    def _lead_or_follow(
        self,
        params: dict[str, Any],
        tags: dict[str, Any],
        store: AnswerStore,
        key: str,
        gate_key: str,
        before_call: Callable[..., None] | None,
    ) -> Answer:
        """Several calls share this prefix: the first (the leader) streams its call and leaves the gate as
        soon as the response has begun — its prompt is read, the cache entry written — so the others
        start then and read the cache, instead of waiting for its whole answer; then it reads the rest."""
        holder = self._gate.hold(gate_key)
        was_warm = holder.__enter__()
        started = None
        try:
            if not was_warm:
                if before_call is not None:
                    before_call(input_tokens=limited_input_tokens(params, warm=False, min_cache_tokens=self.min_cache_tokens))
                started = self._client.start(params)
        except BaseException:
            holder.__exit__(*sys.exc_info())  # a failed leader releases the others (they go uncached)
            raise
        try:
            holder.__exit__(None, None, None)  # marks the prefix warm: the others go now
        except Exception:
            if started is not None:  # a gate blip while the paid answer streams: keep the answer first
                store.save(key, self._answer(started.finish(), tags).to_dict())
            raise
        if started is None:
            return self._send(params, tags, store, key, before_call, warm=True)
        answer = self._answer(started.finish(), tags)
        store.save(key, answer.to_dict())
        return answer

    def _answer(self, result: CallResult, tags: dict[str, Any]) -> Answer:
        """An API answer with its call record (tokens, cost, request id)."""
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
        return Answer(content=_content(message), stop_reason=message.stop_reason, model=message.model, record=record)


# ---------------------------------------------------------------------- helpers


def cache_prefix_key(params: dict[str, Any], endpoint: str = "") -> str:
    """Hash of everything up to the last cache breakpoint: equal keys ⇔ the same cacheable prefix.

    The endpoint is part of the key because each API deployment has its own cache.
    """
    content = params["messages"][0]["content"]
    last = max((i for i, block in enumerate(content) if "cache_control" in block), default=-1)
    prefix = [endpoint, params["model"], params["tools"], params["tool_choice"], params["system"], content[: last + 1]]
    return hashlib.sha256(json.dumps(prefix, ensure_ascii=False).encode()).hexdigest()[:40]


def limited_input_tokens(params: dict[str, Any], *, warm: bool, min_cache_tokens: int = MIN_CACHE_TOKENS) -> int:
    """The input tokens a request counts against the provider's input-tokens-per-minute limit: uncached
    input and cache writes count, cache reads do not (the Messages API, current models). Estimated from
    the request body (~3.5 characters a token, on the safe side of the API's tokenizer for prose);
    the prefix up to the last cache breakpoint is left out only when it is known to be cached."""
    content = params["messages"][0]["content"]
    breakpoints = [i for i, block in enumerate(content) if isinstance(block, dict) and "cache_control" in block]
    cut = (max(breakpoints) + 1) if breakpoints else 0
    prefix = [params.get("tools"), params.get("tool_choice"), params.get("system"), content[:cut]]
    rest = [content[cut:], params["messages"][1:]]
    prefix_tokens = estimate_tokens(json.dumps(prefix, ensure_ascii=False))
    rest_tokens = estimate_tokens(json.dumps(rest, ensure_ascii=False))
    if warm and prefix_tokens >= min_cache_tokens:
        return rest_tokens
    return prefix_tokens + rest_tokens


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
        items=result.items,
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
