"""The columns of each export kind: (header, value of a row). One definition for CSV, JSON and XLSX."""
from __future__ import annotations

import json
from typing import Any, Callable

Column = tuple[str, Callable[[Any], Any]]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


FACT_COLUMNS: list[Column] = [
    ("run", lambda f: f.run_number),
    ("key", lambda f: f.key),
    ("entity", lambda f: f.entity),
    ("domain", lambda f: f.domain),
    ("category", lambda f: f.category),
    ("item", lambda f: f.item),
    ("details", lambda f: _json(f.details)),
    ("evidence", lambda f: f.evidence),
    ("document", lambda f: f.document.filename if f.document_id else ""),
    ("pages", lambda f: ",".join(str(p) for p in f.pages or [])),
    ("confidence", lambda f: f.confidence),
    ("verification", lambda f: f.verification),
    ("verified_in_run", lambda f: f.verified_in_run or ""),
    ("verification_note", lambda f: f.verification_note),
]

GAP_COLUMNS: list[Column] = [
    ("run", lambda g: g.run_number),
    ("key", lambda g: g.key),
    ("entity", lambda g: g.entity),
    ("domain", lambda g: g.domain),
    ("category", lambda g: g.category),
    ("importance", lambda g: g.importance),
    ("description", lambda g: g.description),
    ("suggested_sources", lambda g: "; ".join(g.suggested_sources or [])),
    ("resolved", lambda g: "yes" if g.resolved_at else "no"),
    ("resolution_note", lambda g: g.resolution_note),
]

def _reviewed(f, name: str):
    """The reviewed value (analysis.services.reviews.with_reviewed_values annotates it) or the engine's."""
    value = getattr(f, f"reviewed_{name}", getattr(f, name))
    return "" if value is None else value


# Severity, phase and cost are the reviewed values; the engine's own proposal is kept beside them.
FINDING_COLUMNS: list[Column] = [
    ("run", lambda f: f.run_number),
    ("key", lambda f: f.key),
    ("type", lambda f: f.finding_type),
    ("domain", lambda f: f.domain),
    ("severity", lambda f: _reviewed(f, "severity")),
    ("phase", lambda f: _reviewed(f, "phase")),
    ("title", lambda f: f.title),
    ("description", lambda f: f.description),
    ("reasoning", lambda f: f.reasoning),
    ("cost_low", lambda f: _reviewed(f, "cost_low")),
    ("cost_high", lambda f: _reviewed(f, "cost_high")),
    ("currency", lambda f: f.currency),
    ("mitigation", lambda f: f.mitigation),
    ("review", lambda f: getattr(f, "review_decision", "open")),
    ("owner", lambda f: getattr(f, "review_owner_name", None) or ""),
    ("engine_severity", lambda f: f.severity),
    ("engine_phase", lambda f: f.phase),
    ("engine_cost_low", lambda f: f.cost_low if f.cost_low is not None else ""),
    ("engine_cost_high", lambda f: f.cost_high if f.cost_high is not None else ""),
]

# The VDR request list: target gaps phrased as requests to the seller, by domain and importance.
VDR_COLUMNS: list[Column] = [
    ("domain", lambda g: g.domain),
    ("importance", lambda g: g.get_importance_display()),
    ("topic", lambda g: g.category),
    ("request", lambda g: g.description),
    ("documents requested", lambda g: "; ".join(g.suggested_sources or [])),
    ("status", lambda g: "resolved" if g.resolved_at else "open"),
    ("reference", lambda g: g.key[:12]),
]

COLUMNS = {"facts": FACT_COLUMNS, "gaps": GAP_COLUMNS, "findings": FINDING_COLUMNS, "vdr": VDR_COLUMNS}
JSON_NATIVE = {"details", "pages", "suggested_sources"}  # JSON keeps these structured
