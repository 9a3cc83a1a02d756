"""Recording audit events: every state change calls `record_event` inside its own transaction."""
from __future__ import annotations

import socket
from typing import Any

from django.conf import settings

from ..models import AnalysisRun, AuditEvent, EventSeverity


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
        deal = (
            AnalysisRun.objects.values_list("deal_id", flat=True).get(pk=run) if isinstance(run, int) else run.deal_id
        )
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
