"""Comparing two runs of a deal by natural key: what was added, removed or changed — the review queue."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import AnalysisRun, Fact, Finding, Gap

# What "changed" means per kind: the compared content beyond the key.
CONTENT_FIELDS = {
    "facts": ("item", "details", "evidence"),
    "gaps": ("description", "importance"),
    "findings": ("title", "severity", "phase", "cost_low", "cost_high", "description"),
}
LABEL_FIELD = {"facts": "item", "gaps": "description", "findings": "title"}
MODELS = {"facts": Fact.objects, "gaps": Gap.objects, "findings": Finding.objects}
EXTRA_FIELDS = {"facts": ("entity", "domain", "category"), "gaps": ("entity", "domain", "category"), "findings": ("domain", "severity")}


@dataclass
class Change:
    key: str
    label: str
    domain: str
    before: dict | None  # content in run a (None: added)
    after: dict | None  # content in run b (None: removed)
    a_id: int | None
    b_id: int | None

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
                diff.added.append(Change(key, row[label], row["domain"], None, after, None, row["id"]))
                continue
            before = {f: old[key][f] for f in content}
            if before != after:
                diff.changed.append(Change(key, row[label], row["domain"], before, after, old[key]["id"], row["id"]))
            else:
                diff.unchanged += 1
        for key, row in old.items():
            if key not in new:
                diff.removed.append(Change(key, row[label], row["domain"], {f: row[f] for f in content}, None, row["id"], None))
        for bucket in (diff.added, diff.removed, diff.changed):
            bucket.sort(key=lambda c: (c.domain, c.label))
        result[kind] = diff
    return result
