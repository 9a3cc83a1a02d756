"""Engine interface and registry.

An engine discovers a domain for one entity (facts + gaps) and reasons over a domain's saved facts and
gaps (findings). Engines are plain Python: they take `dealiq.schemas` requests and return results; the
pipeline persists them. Engines raise `dealiq.errors.TransientError` / `PermanentError` on purpose.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..schemas import DiscoveryRequest, DiscoveryResult, ReasoningRequest, ReasoningResult


class Engine(Protocol):
    name: str
    model: str

    def discover(self, request: DiscoveryRequest) -> DiscoveryResult: ...

    def reason(self, request: ReasoningRequest) -> ReasoningResult: ...


class AnswerStore(Protocol):
    """The paid-answer sub-checkpoint an engine is handed in `request.answers`.

    `save(key, answer)` is called the moment a model answer arrives, before any work on it (parsing,
    grounding, cache bookkeeping): whatever fails afterwards, the answer and what it cost are kept.
    `load(key)` returns an answer saved by an earlier attempt for the very same request (the key is a
    hash of the request), which the engine replays instead of paying for it again. Answers are plain
    JSON dicts.
    """

    def load(self, key: str) -> dict[str, Any] | None: ...

    def save(self, key: str, answer: dict[str, Any]) -> None: ...


class CallLimiter(Protocol):
    """The caller's rate limit, handed to an engine in `request.before_call`.

    The engine calls it immediately before each HTTP request to the model provider (never earlier:
    a grant taken long before the request reaches the provider lets bursts through), with what that
    request counts against the provider's limits: one request, and the input tokens the provider
    counts per minute (for the Messages API: uncached input and cache writes, not cache reads). It
    returns when the call may go, or raises `dealiq.errors.Throttled(retry_after=…)`: nothing was
    sent, the engine lets the error through, and the caller retries later (answers and batches paid
    so far are in the answer store and the sub-checkpoint).
    """

    def __call__(self, *, input_tokens: int, requests: int = 1) -> None: ...


class MemoryAnswerStore:
    """An AnswerStore in a dict: what an engine uses when the caller gives none."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}

    def load(self, key: str) -> dict[str, Any] | None:
        return self.answers.get(key)

    def save(self, key: str, answer: dict[str, Any]) -> None:
        self.answers[key] = answer


def build_engine(name: str, config: dict[str, Any] | None = None) -> Engine:
    """Create the engine called `name` ("offline" or "anthropic") with settings-derived `config`."""
    config = dict(config or {})
    if name == "offline":
        from .offline import OfflineEngine

        return OfflineEngine(**config.get("offline", {}))
    if name == "anthropic":
        from .anthropic_engine import AnthropicEngine

        return AnthropicEngine(**config.get("anthropic", {}))
    raise ValueError(f"unknown engine {name!r}: choose 'offline' or 'anthropic'")
