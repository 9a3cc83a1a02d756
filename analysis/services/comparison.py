"""Comparing two runs of a deal by natural key: what was added, removed or changed — the review queue."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import REVIEWED_FIELDS, AnalysisRun, Fact, Finding, Gap

# What "changed" means per kind: the reviewed content beyond the key (the models' field map).
CONTENT_FIELDS = REVIEWED_FIELDS
LABEL_FIELD = {"facts": "item", "gaps": "description", "findings": "title"}
MODELS = {"facts": Fact.objects, "gaps": Gap.objects, "findings": Finding.objects}
EXTRA_FIELDS = {"facts": ("entity", "domain", "category"), "gaps": ("entity", "domain", "category"), "findings": ("domain", "severity")}


# Bookkeeping the engines keep in `details`: how a value was found, not what the data room says.
INTERNAL_DETAIL_KEYS = frozenset({
    "rule", "source_file", "matched_text", "lifecycle_source", "reference_date", "months_to_eol", "kind",
    "entity", "fact_keys", "cost_assumptions", "mentions", "product_label",
})
FIELD_LABELS = {
    "item": "Fact", "evidence": "Evidence quote", "description": "Description", "importance": "Importance",
    "title": "Title", "severity": "Severity", "phase": "Phase", "cost": "Cost",
}


def _words(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)}: {_text(v)}" for k, v in value.items())
    return str(value)


def _cost(low, high) -> str:
    if low is None and high is None:
        return "no estimate"
    return f"{low or 0:,}–{high or 0:,}"


@dataclass(frozen=True)
class Line:
    """One difference, as an analyst reads it: "Severity: High → Critical"."""

    label: str
    before: str
    after: str


def readable_lines(kind: str, before: dict, after: dict) -> list[Line]:
    from ..models import Importance, Phase, Severity

    labels = {"severity": dict(Severity.choices), "phase": dict(Phase.choices), "importance": dict(Importance.choices)}
    lines: list[Line] = []
    for name in CONTENT_FIELDS[kind]:
        if name in ("cost_low", "cost_high"):
            if name == "cost_low" and (before["cost_low"], before["cost_high"]) != (after["cost_low"], after["cost_high"]):
                lines.append(Line("Cost", _cost(before["cost_low"], before["cost_high"]), _cost(after["cost_low"], after["cost_high"])))
            continue
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name == "details":
            old, new = old or {}, new or {}
            for key in sorted(set(old) | set(new)):
                if key not in INTERNAL_DETAIL_KEYS and old.get(key) != new.get(key):
                    lines.append(Line(_words(key), _text(old.get(key)), _text(new.get(key))))
            continue
        if name in labels:
            old, new = labels[name].get(old, old), labels[name].get(new, new)
        lines.append(Line(FIELD_LABELS.get(name, _words(name)), _text(old), _text(new)))
    return lines


@dataclass
class Change:
    key: str
    label: str
    domain: str
    before: dict | None  # content in run a (None: added)
    after: dict | None  # content in run b (None: removed)
    a_id: int | None
    b_id: int | None

    kind: str = ""

    @property
    def lines(self) -> list[Line]:
        """What changed, in words; internal bookkeeping of the engines left out."""
        if not (self.before and self.after):
            return []
        return readable_lines(self.kind, self.before, self.after)

    @property
    def domain_label(self) -> str:
        from dealiq.domains import DOMAINS_BY_KEY

        domain = DOMAINS_BY_KEY.get(self.domain)
        return domain.label if domain else self.domain

    @property
    def changed_fields(self) -> list[str]:
        if not (self.before and self.after):
            return []
        return [f for f in self.before if self.before[f] != self.after[f]]


@dataclass
class KindDiff:
    kind: str
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0


def _rows(kind: str, run: AnalysisRun) -> dict[str, dict]:
    fields = ("id", "key", *EXTRA_FIELDS[kind], *CONTENT_FIELDS[kind])
    return {r["key"]: r for r in MODELS[kind].for_run(run).values(*fields)}


def compare_runs(a: AnalysisRun, b: AnalysisRun) -> dict[str, KindDiff]:
    """Two queries per kind, whatever the size of the runs."""
    result = {}
    for kind, content in CONTENT_FIELDS.items():
        old, new = _rows(kind, a), _rows(kind, b)
        diff = KindDiff(kind)
        label = LABEL_FIELD[kind]
        for key, row in new.items():
            after = {f: row[f] for f in content}
            if key not in old:
                diff.added.append(Change(key, row[label], row["domain"], None, after, None, row["id"], kind))
                continue
            before = {f: old[key][f] for f in content}
            if before != after:
                change = Change(key, row[label], row["domain"], before, after, old[key]["id"], row["id"], kind)
                if change.lines:  # a change only in the engines' bookkeeping is no change to an analyst
                    diff.changed.append(change)
                else:
                    diff.unchanged += 1
            else:
                diff.unchanged += 1
        for key, row in old.items():
            if key not in new:
                diff.removed.append(Change(key, row[label], row["domain"], {f: row[f] for f in content}, None, row["id"], None, kind))
        for bucket in (diff.added, diff.removed, diff.changed):
            bucket.sort(key=lambda c: (c.domain, c.label))
        result[kind] = diff
    return result
