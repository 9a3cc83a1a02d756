"""The columns of each export kind. One definition for CSV, JSON and the XLSX workbook.

A column has a machine `name` (the CSV/JSON header, stable for scripts), a human `label` (the workbook
header), the `value` written to CSV/JSON, the `cell` written to the workbook (defaults to `value`: typed —
numbers, money and dates stay numbers and dates, labels instead of raw keys), a width and a cell kind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from django.utils import timezone

from dealiq.domains import DOMAINS
from dealiq.vdr import clean_sources, gap_topic, request_question
from deals.models import Entity

from ..services.reviewed_values import reviewed

TEXT, WRAP, INTEGER, MONEY, DATE, PERCENT = "text", "wrap", "integer", "money", "date", "percent"
DOMAIN_LABELS = {d.key: d.label for d in DOMAINS}
ENTITY_LABELS = dict(Entity.choices)


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[Any], Any]
    label: str = ""
    width: int = 14
    kind: str = TEXT
    cell: Callable[[Any], Any] | None = None

    @property
    def header(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def workbook_value(self, row):
        return (self.cell or self.value)(row)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def _details_text(details) -> str:
    """Details as "Product: SAP ECC · Version: 6.0" for a reader; nested values stay compact JSON."""
    if not isinstance(details, dict) or not details:
        return ""
    parts = []
    for key, value in details.items():
        shown = value if isinstance(value, (str, int, float)) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{str(key).replace('_', ' ').capitalize()}: {shown}")
    return " · ".join(parts)


def _naive(moment):
    """Excel has no time zones: the local wall-clock time, naive."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _first_page(fact):
    return (fact.pages or [None])[0]


def _domain(row) -> str:
    return DOMAIN_LABELS.get(row.domain, row.domain)


FACT_COLUMNS: list[Column] = [
    Column("run", lambda f: f.run_number, "Run", 6, INTEGER),
    Column("key", lambda f: f.key, "Reference", 14, cell=lambda f: f.legacy_id or f.key[:12]),
    Column("entity", lambda f: f.entity, "Entity", 9, cell=lambda f: ENTITY_LABELS.get(f.entity, f.entity)),
    Column("domain", lambda f: f.domain, "Domain", 16, cell=_domain),
    Column("category", lambda f: f.category, "Category", 18, cell=lambda f: f.category.replace("_", " ")),
    Column("item", lambda f: f.item, "Item", 36, WRAP),
    Column("details", lambda f: _json(f.details), "Details", 40, WRAP, cell=lambda f: _details_text(f.details)),
    Column("evidence", lambda f: f.evidence, "Evidence (quote)", 60, WRAP),
    Column("document", lambda f: f.document.filename if f.document_id else "", "Document", 26),
    Column("pages", lambda f: ",".join(str(p) for p in f.pages or []), "Page", 7, INTEGER, cell=_first_page),
    Column("confidence", lambda f: f.confidence, "Confidence", 11, PERCENT),
    Column("verification", lambda f: f.verification, "Verification", 12, cell=lambda f: f.get_verification_display()),
    Column("verified_in_run", lambda f: f.verified_in_run or "", "Verified in run", 9, INTEGER,
           cell=lambda f: f.verified_in_run),
    Column("verification_note", lambda f: f.verification_note, "Verification note", 30, WRAP),
    Column("verified_at", lambda f: f.verified_at.isoformat() if f.verified_at else "", "Verified on", 17, DATE,
           cell=lambda f: _naive(f.verified_at)),
]

GAP_COLUMNS: list[Column] = [
    Column("run", lambda g: g.run_number, "Run", 6, INTEGER),
    Column("key", lambda g: g.key, "Reference", 14, cell=lambda g: g.legacy_id or g.key[:12]),
    Column("entity", lambda g: g.entity, "Entity", 9, cell=lambda g: ENTITY_LABELS.get(g.entity, g.entity)),
    Column("domain", lambda g: g.domain, "Domain", 16, cell=_domain),
    Column("category", lambda g: g.category, "Topic", 24, cell=lambda g: gap_topic(g.domain, g.category, g.description)),
    Column("importance", lambda g: g.importance, "Importance", 13, cell=lambda g: g.get_importance_display()),
    Column("description", lambda g: g.description, "Gap", 60, WRAP),
    Column("suggested_sources", lambda g: "; ".join(clean_sources(g.suggested_sources)), "Documents to request", 50, WRAP,
           cell=lambda g: "\n".join(clean_sources(g.suggested_sources))),
    Column("status", lambda g: g.vdr_status, "Status", 10, cell=lambda g: g.vdr_status.label),
    Column("resolved", lambda g: "yes" if g.resolved_at else "no", "Resolved on", 17, DATE, cell=lambda g: _naive(g.resolved_at)),
    Column("resolution_note", lambda g: g.resolution_note, "Resolution note", 30, WRAP),
    Column("answer_quote", lambda g: g.answer_quote, "Answered by (quote)", 50, WRAP),
    Column("answer_document", lambda g: g.answer_document.filename if g.answer_document_id else "", "Answer document", 24),
    Column("answer_page", lambda g: g.answer_page or "", "Answer page", 8, INTEGER, cell=lambda g: g.answer_page),
]


def _money(value):
    return value if value is not None else None


def _blank_none(value):
    return "" if value is None else value


FINDING_COLUMNS: list[Column] = [
    Column("run", lambda f: f.run_number, "Run", 6, INTEGER),
    Column("key", lambda f: f.key, "Reference", 14, cell=lambda f: f.legacy_id or f.key[:12]),
    Column("type", lambda f: f.finding_type, "Type", 14, cell=lambda f: f.get_finding_type_display()),
    Column("domain", lambda f: f.domain, "Domain", 16, cell=_domain),
    Column("severity", lambda f: reviewed(f).severity, "Severity", 10, cell=lambda f: reviewed(f).severity_label),
    Column("phase", lambda f: reviewed(f).phase, "Phase", 10, cell=lambda f: reviewed(f).phase_label),
    Column("title", lambda f: f.title, "Title", 44, WRAP),
    Column("description", lambda f: f.description, "Description", 50, WRAP),
    Column("reasoning", lambda f: f.reasoning, "Reasoning", 50, WRAP),
    Column("cost_low", lambda f: _blank_none(reviewed(f).cost_low), "Cost low", 13, MONEY,
           cell=lambda f: _money(reviewed(f).cost_low)),
    Column("cost_high", lambda f: _blank_none(reviewed(f).cost_high), "Cost high", 13, MONEY,
           cell=lambda f: _money(reviewed(f).cost_high)),
    Column("currency", lambda f: f.currency, "Currency", 9),
    Column("mitigation", lambda f: f.mitigation, "Mitigation", 44, WRAP),
    Column("review", lambda f: reviewed(f).decision or "open", "Review", 11, cell=lambda f: reviewed(f).decision_label),
    Column("owner", lambda f: getattr(f, "review_owner_name", None) or "", "Owner", 16),
    Column("engine_severity", lambda f: f.severity, "Engine severity", 10, cell=lambda f: f.get_severity_display()),
    Column("engine_phase", lambda f: f.phase, "Engine phase", 10, cell=lambda f: f.get_phase_display()),
    Column("engine_cost_low", lambda f: _blank_none(f.cost_low), "Engine cost low", 13, MONEY, cell=lambda f: f.cost_low),
    Column("engine_cost_high", lambda f: _blank_none(f.cost_high), "Engine cost high", 13, MONEY,
           cell=lambda f: f.cost_high),
    Column("engine_values", lambda f: "", "Engine's values", 30, WRAP, cell=lambda f: reviewed(f).engine_summary),
]

# The VDR request list: target gaps as numbered questions to the seller, by domain and priority.
VDR_COLUMNS: list[Column] = [
    Column("no", lambda g: g.request_number, "No.", 6, INTEGER),
    Column("domain", lambda g: _domain(g), "Domain", 16),
    Column("priority", lambda g: g.get_importance_display(), "Priority", 13),
    Column("question", lambda g: request_question(g.domain, g.category, g.description), "Question to the seller", 60, WRAP),
    Column("documents requested", lambda g: "; ".join(clean_sources(g.suggested_sources)), "Documents requested", 50, WRAP,
           cell=lambda g: "\n".join(clean_sources(g.suggested_sources))),
    Column("gap closed", lambda g: g.description, "Gap it closes", 50, WRAP),
    Column("status", lambda g: g.vdr_status.value, "Status", 10, cell=lambda g: g.vdr_status.label),
    Column("answered by", lambda g: g.answer_quote, "Answered by (quote)", 50, WRAP),
    Column("answer document", lambda g: g.answer_document.filename if g.answer_document_id else "", "Answer document", 24),
    Column("answer page", lambda g: g.answer_page or "", "Answer page", 8, INTEGER, cell=lambda g: g.answer_page),
    Column("reference", lambda g: g.legacy_id or g.key[:12], "Reference", 14),
]

# The cost roll-up: one row per domain and phase with a cost (rows are dicts from services.dashboard).
COST_COLUMNS: list[Column] = [
    Column("domain", lambda r: r["domain_label"], "Domain", 18),
    Column("phase", lambda r: r["phase_label"], "Phase", 12),
    Column("findings", lambda r: r["findings"], "Findings", 10, INTEGER),
    Column("cost_low", lambda r: r["low"], "Cost low", 14, MONEY),
    Column("cost_high", lambda r: r["high"], "Cost high", 14, MONEY),
    Column("currency", lambda r: r["currency"], "Currency", 9),
]

COLUMNS = {"facts": FACT_COLUMNS, "gaps": GAP_COLUMNS, "findings": FINDING_COLUMNS, "vdr": VDR_COLUMNS, "costs": COST_COLUMNS}
JSON_NATIVE = {"details", "pages", "suggested_sources"}  # JSON keeps these structured
