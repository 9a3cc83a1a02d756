"""Errors an engine raises; the pipeline decides what each one means for a step.

TransientError: worth retrying later (rate limit, overload, timeout, lost connection).
PermanentError: retrying cannot help (bad request, auth, output still invalid after repair).
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class for every error an engine raises on purpose."""


class TransientError(EngineError):
    def __init__(self, message: str, *, retry_after: float | None = None, kind: str = "transient"):
        super().__init__(message)
        self.retry_after = retry_after
        self.kind = kind


class PermanentError(EngineError):
    def __init__(self, message: str, *, kind: str = "permanent"):
        super().__init__(message)
        self.kind = kind


class Throttled(TransientError):
    """The caller's own rate limiter had no room for a call the engine was about to send (nothing was
    sent): come back after `retry_after` seconds. Raised by a `before_call` hook, never by the API."""

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message, retry_after=retry_after, kind="throttled")
