"""The Claude engine: discovery and reasoning through the Anthropic Messages API.

Modules, one job each:
    client.py    the SDK client seam (the only module that talks to `anthropic`)
    errors.py    SDK exceptions → TransientError / PermanentError
    prompts.py   request bodies (prompt-cache layout, untrusted-document framing, repair turn)
    tools.py     the strict tools' JSON schemas and their validator
    parsing.py   tool input → FactItem / GapItem / FindingItem
    chunking.py  token estimate and batches of pages
    pricing.py   price table and per-call cost
    warmup.py    first-call-goes-alone gate so parallel domain calls hit the prompt cache
    engine.py    AnthropicEngine, tying them together
"""
from .engine import DEFAULT_MAX_TOKENS, DEFAULT_MODEL, DEFAULT_TOKEN_BUDGET, AnthropicEngine
from .pricing import DEFAULT_PRICES

__all__ = ["AnthropicEngine", "DEFAULT_MODEL", "DEFAULT_MAX_TOKENS", "DEFAULT_TOKEN_BUDGET", "DEFAULT_PRICES"]
