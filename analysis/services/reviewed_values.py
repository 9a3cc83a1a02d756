"""A finding's values as the deal team reviewed them, for exports and the executive summary.

The review service annotates `reviewed_severity`, `reviewed_phase`, `reviewed_cost_low`,
`reviewed_cost_high` and `review_decision` in SQL (`services.reviews.with_reviewed_values`: one query for
the whole export); for a finding that was never reviewed the engine's own values are the reviewed values.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Phase, Severity

SEVERITY_LABELS = dict(Severity.choices)
PHASE_LABELS = dict(Phase.choices)


@dataclass(frozen=True)
class Reviewed:
    severity: str
    phase: str
    cost_low: int | None
    cost_high: int | None
    decision: str
    engine: tuple[str, str, int | None, int | None]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS.get(self.phase, self.phase)

    @property
    def decision_label(self) -> str:
        return self.decision.replace("_", " ").capitalize() if self.decision else "Not reviewed"

    @property
    def changed(self) -> bool:
        return (self.severity, self.phase, self.cost_low, self.cost_high) != self.engine

    @property
    def engine_summary(self) -> str:
        """The engine's values, shown only where a review changed them."""
        if not self.changed:
            return ""
        severity, phase, low, high = self.engine
        cost = f", {low:,}–{high:,}" if low is not None and high is not None else ""
        return f"{SEVERITY_LABELS.get(severity, severity)}, {PHASE_LABELS.get(phase, phase)}{cost}"


def reviewed(finding) -> Reviewed:
    def pick(name: str, own):
        value = getattr(finding, f"reviewed_{name}", None)
        return own if value in (None, "") else value

    return Reviewed(
        severity=pick("severity", finding.severity),
        phase=pick("phase", finding.phase),
        cost_low=pick("cost_low", finding.cost_low),
        cost_high=pick("cost_high", finding.cost_high),
        decision=getattr(finding, "review_decision", "") or "",
        engine=(finding.severity, finding.phase, finding.cost_low, finding.cost_high),
    )
