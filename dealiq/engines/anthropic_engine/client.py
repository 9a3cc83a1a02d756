"""The one place that owns the anthropic SDK client.

Everything else in the engine hands this module a request body (a dict of messages.create keyword
arguments) and gets back a `CallResult`; SDK exceptions leave here already mapped to
TransientError / PermanentError. The SDK's own retries stay low (default 0): the pipeline owns
retrying (Celery countdown with Retry-After), and two retry loops stacked would multiply waits.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anthropic

from ...errors import PermanentError
from .errors import map_sdk_error

# Response headers worth keeping with a call: the rate-limit budget left, for the pipeline's limiter.
_RATE_LIMIT_HEADERS = (
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-output-tokens-remaining",
)


@dataclass
class CallResult:
    message: Any  # anthropic.types.Message
    request_id: str | None
    duration_ms: int
    rate_limits: dict[str, str] = field(default_factory=dict)


class StartedCall:
    """A streamed call whose response has begun; `finish()` waits for the rest (a CallResult)."""

    def __init__(self, manager: Any, stream: Any, started: float):
        self._manager, self._stream, self._started = manager, stream, started

    def finish(self) -> CallResult:
        try:
            message = self._stream.get_final_message()
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc
        finally:
            self._manager.__exit__(None, None, None)
        headers = self._stream.response.headers
        return CallResult(
            message=message,
            request_id=self._stream.request_id,
            duration_ms=int((time.monotonic() - self._started) * 1000),
            rate_limits={name: headers[name] for name in _RATE_LIMIT_HEADERS if name in headers},
        )

    def close(self) -> None:
        self._manager.__exit__(None, None, None)


class ClaudeClient:
    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 300.0,
        max_retries: int = 0,
    ):
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self._max_retries = max_retries
        self._sdk: anthropic.Anthropic | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The API base URL calls go to (its prompt cache is separate from other endpoints')."""
        return self._base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"

    @property
    def sdk(self) -> anthropic.Anthropic:
        """The SDK client, built on first use (one per engine; it is thread-safe and pools connections)."""
        with self._lock:
            if self._sdk is None:
                api_key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
                if not api_key:
                    raise PermanentError("ANTHROPIC_API_KEY is not set", kind="configuration")
                self._sdk = anthropic.Anthropic(
                    api_key=api_key,
                    base_url=self._base_url or None,  # None: ANTHROPIC_BASE_URL, else api.anthropic.com
                    timeout=self._timeout,
                    max_retries=self._max_retries,
                )
            return self._sdk

    def create(self, params: dict[str, Any]) -> CallResult:
        """messages.create with the raw response, so the request id and headers are kept."""
        started = time.monotonic()
        try:
            raw = self.sdk.messages.with_raw_response.create(**params)
            message = raw.parse()
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc
        headers = raw.headers
        return CallResult(
            message=message,
            request_id=raw.request_id,
            duration_ms=int((time.monotonic() - started) * 1000),
            rate_limits={name: headers[name] for name in _RATE_LIMIT_HEADERS if name in headers},
        )

    def start(self, params: dict[str, Any]) -> "StartedCall":
        """messages.create, streamed: returns once the response has begun (message_start: the prompt was
        read, so its cache entries are written and readable by other calls); `.finish()` reads the rest."""
        started = time.monotonic()
        manager = self.sdk.messages.stream(**params)
        try:
            stream = manager.__enter__()
            for event in stream:
                if event.type == "message_start":
                    break
        except anthropic.AnthropicError as exc:
            manager.__exit__(None, None, None)
            raise map_sdk_error(exc) from exc
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        return StartedCall(manager, stream, started)

    # --- Message Batches API (50% price, results within 24 hours) -----------------------------------

    def submit_batch(self, requests: list[tuple[str, dict[str, Any]]]) -> str:
        """Submit (custom_id, messages.create params) pairs as one Message Batch; returns its id."""
        try:
            batch = self.sdk.messages.batches.create(
                requests=[{"custom_id": custom_id, "params": params} for custom_id, params in requests]
            )
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc
        return batch.id

    def batch_ended(self, batch_id: str) -> bool:
        try:
            return self.sdk.messages.batches.retrieve(batch_id).processing_status == "ended"
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc

    def batch_results(self, batch_id: str) -> dict[str, CallResult]:
        """The succeeded requests of an ended batch by custom_id; errored, expired and cancelled ones are
        left out (the engine then makes those calls itself)."""
        started = time.monotonic()
        try:
            results = {
                item.custom_id: item.result.message
                for item in self.sdk.messages.batches.results(batch_id)
                if item.result.type == "succeeded"
            }
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc
        elapsed = int((time.monotonic() - started) * 1000)
        # A batch result has no request id of its own: batch id + custom id names it for support.
        return {
            custom_id: CallResult(message=message, request_id=f"{batch_id}/{custom_id}", duration_ms=elapsed)
            for custom_id, message in results.items()
        }

    def count_tokens(self, params: dict[str, Any]) -> int:
        """Exact input tokens of a request (free endpoint; max_tokens is not part of it)."""
        counted = {k: v for k, v in params.items() if k in ("model", "messages", "system", "tools", "tool_choice")}
        try:
            return self.sdk.messages.count_tokens(**counted).input_tokens
        except anthropic.AnthropicError as exc:
            raise map_sdk_error(exc) from exc

    def close(self) -> None:
        with self._lock:
            if self._sdk is not None:
                self._sdk.close()
                self._sdk = None
