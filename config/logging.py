"""Logging: JSON lines in production, readable lines in development, the step context on each line.

The JSON formatter is ~30 lines of our own rather than python-json-logger: we need exactly one flat
object per line with a fixed set of fields (time, level, logger, message, the step context,
exception) and no extra dependency to pin and audit for that.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

from dealiq.logcontext import CONTEXT_FIELDS


class JsonFormatter(logging.Formatter):
    """One JSON object per line. The message is never truncated: the database keeps a truncated
    error, the log keeps the full text (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable development lines; the step context is appended as key=value when present."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None) is not None
        )
        if not context:
            return line
        first, sep, rest = line.partition("\n")  # keep a traceback below the context
        return f"{first} [{context}]{sep}{rest}"


def build_logging(*, fmt: str, level: str, log_file: str | None, max_bytes: int, backup_count: int) -> dict:
    """The LOGGING dict. `fmt` is "json" or "text"; with `log_file` a size-rotated file is added."""
    if fmt not in ("json", "text"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {fmt!r}")
    handlers = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": fmt,
            "filters": ["step_context"],
        }
    }
    if log_file:
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": log_file,
            "maxBytes": max_bytes,
            "backupCount": backup_count,
            "encoding": "utf-8",
            "delay": True,
            "formatter": fmt,
            "filters": ["step_context"],
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"step_context": {"()": "dealiq.logcontext.StepContextFilter"}},
        "formatters": {
            "json": {"()": "config.logging.JsonFormatter"},
            "text": {"()": "config.logging.TextFormatter"},
        },
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        "loggers": {
            # Django's default config gives "django" a console handler of its own; with ours on the
            # root too, every request warning was written twice (once unformatted).
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.db.backends": {"level": "WARNING"},
        },
    }
