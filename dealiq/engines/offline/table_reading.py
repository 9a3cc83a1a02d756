"""Tables read as tables: inventory and register rows, blank cells, ragged rows, duplicates and totals.

A table row (a CSV or spreadsheet row, a markdown or Word table row under a header; see
dealiq.rules.units) is one record. Here:
- a row no fact rule recognised becomes one fact, its columns as details (`row_fact`);
- a cell left blank where the rest of the column is filled is a gap (`blank_cells`);
- a row whose field count differs from the header is reported, never re-paired (`mismatched_rows`);
- an identifier listed twice, or a total that disagrees with the rows, is a fact the finding rules
  turn into a recommendation (`duplicate_rows`, `count_checks`).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ...rules.units import TextUnit
from .fact_rules import FactDraft

ITEM_CHARS = 140
# A column is "expected" when at least this share of the table's other rows fill it.
EXPECTED_SHARE = 2 / 3
MIN_ROWS_FOR_BLANKS = 3
# Free-text columns are often left empty on purpose: an empty note is not a gap.
_OPTIONAL_HEADER = re.compile(r"\b(?:notes?|comments?|remarks?|description|additional|other|misc|details|explanation)\b", re.I)
BLANK_VALUES = frozenset({"", "-", "–", "—", "?", "??", "n/k", "none given", "blank"})
# Header names that identify a row (a duplicate value in such a column is a duplicate row).
_IDENTIFIER_HEADER = re.compile(
    r"^(?:host ?name|host|server(?: name)?|device(?: name| id)?|asset(?: tag| id| no\.?| number)?|serial(?: no\.?| number)?|"
    r"(?:record |row |item |system |app(?:lication)? |contract |licen[cs]e )?(?:id|no\.?|number|ref(?:erence)?)|"
    r"ci(?: name)?|node|fqdn|ip(?: address)?|mac(?: address)?|name|application(?: name)?|system(?: name)?)$",
    re.I,
)
# A column holding how many units a row stands for ("Servers: 40", "Qty: 2").
_COUNT_HEADER = re.compile(r"^(?:count|qty|quantity|number(?: of \w+)?|no\. of \w+|#|units|total|servers|hosts|devices|instances|seats|users|licen[cs]es)$", re.I)
_TOTAL_ROW = re.compile(r"^(?:grand )?(?:total|sum|overall)\b", re.I)
_NUMBER = re.compile(r"^\d{1,6}$")


def is_blank(value: str) -> bool:
    return value.strip().casefold() in BLANK_VALUES


def row_values(unit: TextUnit) -> list[tuple[str, str]]:
    return [(label, value) for label, value in unit.columns if not is_blank(value)]


# Tables whose rows are statements rather than records: a questionnaire (question / answer) or a
# key / value list (metric / value). Their rows are read by the fact rules like sentences; a row fact
# would only repeat the question.
_QUESTION_HEADER = re.compile(r"^(?:questions?|query|queries|control question|request(?:ed item)?|requirement)$", re.I)
_ANSWER_HEADER = re.compile(r"^(?:answers?|responses?|reply|target response|seller response|status)$", re.I)
_KEY_HEADER = re.compile(r"^(?:metric|item|field|attribute|parameter|key|property|topic|aspect|measure|kpi)$", re.I)
_VALUE_HEADER = re.compile(r"^(?:values?|figures?|answers?|details?|data|amount|count|number)$", re.I)


def is_statement_table(labels: list[str] | tuple[str, ...]) -> bool:
    if any(_QUESTION_HEADER.match(l) for l in labels) and any(_ANSWER_HEADER.match(l) for l in labels):
        return True
    return len(labels) == 2 and bool(_KEY_HEADER.match(labels[0])) and bool(_VALUE_HEADER.match(labels[1]))


def _lead_index(values: list[tuple[str, str]]) -> int:
    return next((i for i, (label, _) in enumerate(values) if _IDENTIFIER_HEADER.match(label)), 0)


def row_lead(unit: TextUnit) -> str:
    """The value that names a row (its hostname, name or ID column, else its first value); "" for a
    row too thin to be a record or a table's total line."""
    values = row_values(unit)
    if len(values) < 2 or _TOTAL_ROW.match(values[0][1]):
        return ""
    return values[_lead_index(values)][1]


def row_fact(unit: TextUnit, domain: str, table_name: str) -> FactDraft | None:
    """One fact for a row no rule recognised: its first columns as the item, every column as details."""
    values = row_values(unit)
    if len(values) < 2 or _TOTAL_ROW.match(values[0][1]):
        return None
    lead = _lead_index(values)
    name = values[lead][1]
    others = values[:lead] + values[lead + 1:]
    rest = "; ".join(f"{label}: {value}" for label, value in others[:3])
    item = f"{name} ({rest})" if rest else name
    if len(item) > ITEM_CHARS:
        item = item[: ITEM_CHARS - 1].rsplit(" ", 1)[0] + "…"
    details: dict[str, Any] = {"rule": "table_row", "columns": dict(unit.columns)}
    if table_name:
        details["table"] = table_name
    return FactDraft("table_row", domain, "inventory_row", item, details, unit, 0.8)


def ragged_row_fact(unit: TextUnit, domain: str, table_name: str) -> FactDraft | None:
    """A row whose field count differs from the header is still a record: one fact naming it by its
    values in their order, never paired with headers they may not belong to (the gap reports the row)."""
    values = [v.strip() for v in unit.text.split(";") if v.strip() and not is_blank(v)]
    if len(values) < 2 or _TOTAL_ROW.match(values[0]):
        return None
    item = f"{values[0]} ({', '.join(values[1:4])})"
    if len(item) > ITEM_CHARS:
        item = item[: ITEM_CHARS - 1].rsplit(" ", 1)[0] + "…"
    fields, header = unit.field_mismatch
    details: dict[str, Any] = {"rule": "table_row_unpaired", "values": values, "fields": fields, "header_fields": header}
    if table_name:
        details["table"] = table_name
    return FactDraft("table_row", domain, "inventory_row", item, details, unit, 0.7)


def register_fact(unit: TextUnit, domain: str) -> FactDraft:
    """One fact per item of a numbered register (findings of a test report, rules of a playbook)."""
    text = unit.text
    item = text if len(text) <= ITEM_CHARS else text[: ITEM_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return FactDraft("register_item", domain, "register_item", item,
                     {"rule": "register_item", "id": unit.register_id}, unit, 0.8)


def tables_of(units: list[TextUnit]) -> dict[str, list[TextUnit]]:
    """Table rows grouped by table, in reading order."""
    tables: dict[str, list[TextUnit]] = {}
    for unit in units:
        if unit.is_table_row:
            tables.setdefault(unit.table_id, []).append(unit)
    return tables


def _labels(rows: list[TextUnit]) -> list[str]:
    labels: list[str] = []
    for row in rows:
        for label, _ in row.columns:
            if label not in labels:
                labels.append(label)
    return labels


def blank_cells(rows: list[TextUnit]) -> list[tuple[TextUnit, str]]:
    """(row, column) for each cell left blank in a column the table's other rows fill."""
    records = [r for r in rows if r.columns and not _TOTAL_ROW.match(r.columns[0][1] or "")]
    if len(records) < MIN_ROWS_FOR_BLANKS:
        return []
    filled = Counter(label for r in records for label, _ in row_values(r))
    found = []
    labels = _labels(records)
    for row in records:
        present = {label for label, _ in row_values(row)}
        for label in labels:
            if label in present or _OPTIONAL_HEADER.search(label):
                continue
            others_filled = filled[label]
            if others_filled >= EXPECTED_SHARE * (len(records) - 1) and others_filled >= 2:
                found.append((row, label))
    return found


def mismatched_rows(rows: list[TextUnit]) -> list[TextUnit]:
    return [r for r in rows if r.field_mismatch]


def duplicate_rows(rows: list[TextUnit]) -> list[tuple[str, str, list[TextUnit]]]:
    """(column, value, rows) for each identifier listed more than once, or a row repeated whole."""
    records = [r for r in rows if r.columns]
    duplicates = []
    seen_rows: set[int] = set()
    identifier = next((label for label in _labels(records) if _IDENTIFIER_HEADER.match(label)), None)
    if identifier:
        by_value: dict[str, list[TextUnit]] = {}
        for row in records:
            value = dict(row.columns).get(identifier, "")
            if not is_blank(value):
                by_value.setdefault(value.casefold(), []).append(row)
        for same in by_value.values():
            if len(same) > 1:
                duplicates.append((identifier, dict(same[0].columns)[identifier], same))
                seen_rows.update(id(r) for r in same)
    whole: dict[tuple, list[TextUnit]] = {}
    for row in records:
        whole.setdefault(tuple((l, v.casefold()) for l, v in row_values(row)), []).append(row)
    for same in whole.values():
        if len(same) > 1 and not any(id(r) in seen_rows for r in same):
            duplicates.append(("row", row_values(same[0])[0][1] if row_values(same[0]) else "", same))
    return duplicates


@dataclass(frozen=True)
class TableCount:
    listed: int  # rows, or the sum of the count column
    stated: int  # what the table's total row says
    total_row: TextUnit
    column: str


def total_row_check(rows: list[TextUnit]) -> TableCount | None:
    """A "Total" row whose figure differs from the rows above it (their count column, or their number)."""
    records = [r for r in rows if r.columns]
    totals = [r for r in records if _TOTAL_ROW.match(r.columns[0][1] or "")]
    if not totals:
        return None
    total = totals[-1]
    items = [r for r in records if r is not total and not _TOTAL_ROW.match(r.columns[0][1] or "")]
    stated_values = [(label, v) for label, v in total.columns[1:] if _NUMBER.match(v.replace(",", ""))]
    if not stated_values or not items:
        return None
    label, stated = stated_values[0]
    stated_n = int(stated.replace(",", ""))
    if _COUNT_HEADER.match(label) or all(_NUMBER.match(dict(r.columns).get(label, "x").replace(",", "")) for r in items):
        listed = sum(int(dict(r.columns).get(label, "0").replace(",", "") or 0) for r in items)
    else:
        listed = len(items)
    if listed == stated_n:
        return None
    return TableCount(listed, stated_n, total, label)


def row_count(rows: list[TextUnit]) -> tuple[int, str | None]:
    """How many units the table lists: the sum of its count column if it has one, else its rows."""
    records = [r for r in rows if r.columns and not _TOTAL_ROW.match(r.columns[0][1] or "")]
    count_column = next((label for label in _labels(records) if _COUNT_HEADER.match(label)), None)
    if count_column:
        values = [dict(r.columns).get(count_column, "").replace(",", "") for r in records]
        if values and all(_NUMBER.match(v) for v in values):
            return sum(int(v) for v in values), count_column
    return len(records), None


# What a one-row-per-item inventory counts, told by its headers: (measure, label, needed header groups).
_INVENTORY_MEASURES = (
    ("server_total", "servers", (
        re.compile(r"^(?:host ?name|server(?: name)?|host|vm(?: name)?|ci(?: name)?|fqdn|name)$", re.I),
        re.compile(r"^(?:os|operating system|os version|platform|os / version)$", re.I),
    )),
    ("endpoint_count", "end-user devices", (
        re.compile(r"^(?:serial(?: no\.?| number)?|asset(?: tag| id| no\.?)?|device(?: name| id)?)$", re.I),
        re.compile(r"^(?:assigned to|user|owner|device type|type|model)$", re.I),
        re.compile(r"\b(?:laptops?|desktops?|notebooks?|workstations?|end-?user|endpoints?)\b", re.I),
    )),
)


def inventory_measure(rows: list[TextUnit], context: str) -> tuple[str, str, int] | None:
    """(measure, label, rows) for a one-row-per-item server or end-user device inventory, else None."""
    labels = _labels([r for r in rows if r.columns])
    if any(_COUNT_HEADER.match(label) for label in labels):
        return None  # rows stand for groups ("Windows Server 2019 | 52"): not one item per row
    for measure, label, needs in _INVENTORY_MEASURES:
        headers_ok = all(any(p.match(l) for l in labels) for p in needs[:2])
        words_ok = all(p.search(context + " " + " ".join(r.text for r in rows[:25])) for p in needs[2:])
        if headers_ok and words_ok:
            count, _ = row_count(rows)
            return measure, label, count
    return None
