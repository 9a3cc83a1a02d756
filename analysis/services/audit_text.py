"""The audit trail in words: who did it (a person, or DealIQ's workers) and what happened.

`describe(event)` turns an event's stored data into one sentence an analyst reads; event types it does
not know are shown as "Label: value" pairs, internal ids left out. The stored rows never change.
"""
from __future__ import annotations

from audit.models import AuditEvent
from audit.services import OPERATOR_ONLY_KEYS, readable_error

EVENT_LABELS = {
    "run.created": "Run created", "run.started": "Run started", "run.completed": "Run completed",
    "run.failed": "Run failed", "run.cancelled": "Run cancelled", "run.requeued": "Run re-queued",
    "step.claimed": "Step started", "step.done": "Step done", "step.reused": "Step reused", "step.failed": "Step failed",
    "step.retry_scheduled": "Step retry scheduled", "step.waiting_for_batch": "Step waiting for its message batch",
    "step.batch_ended": "Step's message batch ended",
    "document.uploaded": "Document uploaded", "document.rejected": "Document rejected",
    "document.withdrawn": "Document withdrawn", "document.restored": "Document restored",
    "document.entity_changed": "Document moved to the other entity",
    "document.extraction_requeued": "Document extraction re-queued",
    "fact.verified": "Fact verified", "fact.rejected": "Fact rejected", "fact.reset": "Fact reset to pending",
    "gap.resolved": "Gap resolved", "gap.reopened": "Gap reopened",
    "finding.reviewed": "Finding reviewed", "finding.commented": "Finding commented",
    "membership.set": "Member role set", "membership.removed": "Member removed",
    "export.downloaded": "Export downloaded", "batch.created": "Batch created", "batch.finished": "Batch finished",
    "batch.reopened": "Batch reopened", "deal.created": "Deal created",
    "document.extracted": "Document text extracted", "document.extraction_failed": "Document could not be read",
}
HIDDEN_KEYS = {"key", "run_id", "deal_id", "step_id", "task_id", "attempt", "fact_keys", "id"} | OPERATOR_ONLY_KEYS
REVIEW_FIELDS = {"decision": "decision", "severity": "severity", "phase": "phase", "cost_low": "cost low",
                 "cost_high": "cost high", "owner": "owner"}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type) or event_type.replace(".", " ").replace("_", " ").capitalize()


def actor_name(event: AuditEvent) -> str:
    """The person's user name; events written by a worker or the scheduler read "DealIQ (worker)"."""
    if event.actor_id is not None and event.actor is not None:
        return event.actor.get_username()
    if event.actor_label and not event.actor_label.startswith("worker@"):
        return event.actor_label
    return "DealIQ (worker)"


def _value(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in value.items() if k not in HIDDEN_KEYS)
    return readable_error(value)  # members see one line of an error, never a traceback or a server path


def describe(event: AuditEvent) -> str:
    data = event.data or {}
    kind = event.event_type
    if kind == "finding.reviewed":
        changes = ", ".join(
            f"{REVIEW_FIELDS.get(name, name)} {_value(old) if old not in (None, '') else 'engine’s'} → "
            f"{_value(new) if new not in (None, '') else 'engine’s'}"
            for name, (old, new) in (data.get("changes") or {}).items()
        )
        return f"“{data.get('title', '')}”: {changes}. Why: {data.get('reason', '')}"
    if kind == "finding.commented":
        return f"“{data.get('title', '')}”: {data.get('comment', '')}"
    if kind in ("fact.verified", "fact.rejected", "fact.reset"):
        note = f" Note: {data['note']}" if data.get("note") else ""
        return f"From {data.get('before', '—')} to {data.get('after', '—')}.{note}"
    if kind == "document.withdrawn":
        return f"{data.get('document', '')} ({data.get('entity', '')}). Why: {data.get('reason', '')}"
    if kind == "document.entity_changed":
        return f"{data.get('document', '')}: {data.get('from', '')} → {data.get('to', '')}"
    if kind == "export.downloaded":
        filters = {k: v for k, v in (data.get("filters") or {}).items() if v}
        return f"{data.get('export', '')}" + (f" filtered by {_value(filters)}" if filters else "")
    if kind in ("membership.set", "membership.removed"):
        return f"{data.get('user', '')}" + (f" as {data['role']}" if data.get("role") else "")
    if kind.startswith("step.") and data:
        where = "/".join(str(data[k]) for k in ("domain", "kind") if data.get(k))
        rest = {k: v for k, v in data.items() if k not in ("domain", "kind") and k not in HIDDEN_KEYS}
        return f"{where} {_value(rest)}".strip()
    return _value({k: v for k, v in data.items() if k not in HIDDEN_KEYS})
