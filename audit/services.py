"""Recording audit events: every state change calls `record_event` inside its own transaction — the
services of deals/ and analysis/ alike (this app sits beneath both). Also how an event's error reads
for members (`readable_error`, `member_event_details`) and the truncated error text runs and events
store (`truncate_error`)."""
from __future__ import annotations

import re
import socket
from typing import Any

from django.conf import settings

from .models import AuditEvent, EventSeverity


def worker_label() -> str:
    return f"worker@{socket.gethostname()}"


def truncate_error(text: str, limit: int | None = None) -> str:
    limit = limit or settings.DEALIQ_ERROR_MAX_CHARS
    text = text or ""
    if len(text) <= limit:
        return text
    return text[: limit - 20] + f"… [{len(text) - limit + 20} more chars]"


def record_event(
    event_type: str,
    *,
    actor=None,
    actor_label: str = "",
    deal=None,
    run=None,
    obj=None,
    object_type: str = "",
    object_id: Any = "",
    severity: str = EventSeverity.INFO,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. `actor` is a user (None for the pipeline: the worker host is recorded)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor_label or actor.get_username()
    else:
        actor = None
    if run is not None and deal is None:
        if isinstance(run, int):  # the run model through the foreign key: audit imports nothing above it
            runs = AuditEvent._meta.get_field("run").related_model.objects
            deal = runs.values_list("deal_id", flat=True).get(pk=run)
        else:
            deal = run.deal_id
    return AuditEvent.objects.create(
        event_type=event_type,
        actor=actor,
        actor_label=actor_label or worker_label(),
        deal_id=deal if isinstance(deal, int) else getattr(deal, "pk", None),
        run_id=run if isinstance(run, int) else getattr(run, "pk", None),
        object_type=type(obj).__name__ if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else str(object_id or ""),
        severity=severity,
        data=data or {},
    )


# --- what members see of an error ----------------------------------------------------------------
# The full text of a failure (a traceback with server paths) stays in the audit event for operators (admin,
# logs); the pages show members one readable line.

_TRACEBACK = "Traceback (most recent call last)"
_PATH = re.compile(r"""(?:[A-Za-z]:)?(?:[/\\][^\s/\\'":,()]+){2,}[/\\]([^\s/\\'":,()]+)""")
OPERATOR_ONLY_KEYS = frozenset({"detail", "traceback", "full_error"})
READABLE_ERROR_CHARS = 300


def readable_error(text: Any, limit: int = READABLE_ERROR_CHARS) -> str:
    """One readable line of an error: the message before a traceback (or the exception line that ends
    it), server paths reduced to file names, cut at `limit` characters."""
    text = str(text or "")
    if _TRACEBACK in text:
        before, _, trace = text.partition(_TRACEBACK)
        lines = [ln.strip() for ln in before.splitlines() if ln.strip()]
        if not lines:
            lines = [ln.strip() for ln in trace.splitlines() if ln.strip() and not ln.startswith((" ", "\t"))][-1:]
        text = lines[0] if lines else "internal error"
    line = " ".join(text.split())
    line = _PATH.sub(r"\1", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def member_event_details(data: Any) -> str:
    """An audit event's data as members see it: no operator-only detail, errors as one line."""
    if not isinstance(data, dict):
        return readable_error(data)
    parts = []
    for key, value in data.items():
        if key in OPERATOR_ONLY_KEYS:
            continue
        if key == "error" or (isinstance(value, str) and (_TRACEBACK in value or "\n" in value)):
            value = readable_error(value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def record_download(actor, *, deal, run, export: str, filters: dict | None = None) -> AuditEvent:
    """An export downloaded: the pages' exports and the admin's alike (who took which data out)."""
    data: dict[str, Any] = {"export": export}
    if filters is not None:
        data["filters"] = filters
    return record_event("export.downloaded", actor=actor, deal=deal, run=run, data=data)
