"""The step a log line belongs to: run id, deal id, domain, step kind and attempt on every line.

A contextvar (not thread-locals, not a LoggerAdapter): whatever logs while a step executes — the
pipeline, the engine, a library — carries the same fields without passing a logger around.
No Django imports: the logging config loads this module before the apps are ready.
"""
from __future__ import annotations

import functools
import logging
from contextvars import ContextVar

CONTEXT_FIELDS = ("run_id", "deal_id", "domain", "kind", "attempt")

_context: ContextVar[dict | None] = ContextVar("dealiq_log_context", default=None)


def current_log_context() -> dict:
    return dict(_context.get() or {})


def add_log_context(**fields) -> None:
    """Add fields to the current step's context (e.g. the attempt, once the step is claimed)."""
    ctx = _context.get()
    if ctx is not None:
        ctx.update({k: v for k, v in fields.items() if v is not None})


def with_step_log_context(func):
    """Decorator for execute_step(run_id, domain, kind, …): a fresh context for the call's duration."""

    @functools.wraps(func)
    def wrapper(run_id, domain, kind, *args, **kwargs):
        token = _context.set({"run_id": run_id, "domain": str(domain), "kind": str(kind)})
        try:
            return func(run_id, domain, kind, *args, **kwargs)
        finally:
            _context.reset(token)

    return wrapper


class StepContextFilter(logging.Filter):
    """Puts the step context on every record (None outside a step) so formatters can rely on it."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, ctx.get(name))
        return True
