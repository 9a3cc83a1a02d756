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
