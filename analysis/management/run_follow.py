"""Following a run from a terminal: progress lines per step, then a summary table per domain."""
from __future__ import annotations

import time

from analysis.models import FINISHED_RUN_STATUSES, AnalysisRun, RunStep
from analysis.services.lifecycle import counts_by_domain
from analysis.services.steps import step_finished


def _step_line(step: RunStep) -> str:
    counts = f"facts={step.facts_written} gaps={step.gaps_written} findings={step.findings_written}"
    extra = f" error: {step.error}" if step.error else ""
    return f"  {step.domain:<16} {step.kind:<16} {step.status:<8} attempt {step.attempts} {counts}{extra}"


class RunFollower:
    """Prints each step as it settles: from a signal in eager mode, by polling with real workers."""

    def __init__(self, write):
        self.write = write
        self._seen: dict[int, str] = {}

    def __enter__(self):
        step_finished.connect(self._on_step, dispatch_uid=f"run-follower-{id(self)}")
        return self

    def __exit__(self, *exc):
        step_finished.disconnect(dispatch_uid=f"run-follower-{id(self)}")

    def _on_step(self, sender, step_id: int, status: str, **kwargs) -> None:
        step = RunStep.objects.get(pk=step_id)
        self._print_if_new(step)

    def _print_if_new(self, step: RunStep) -> None:
        if self._seen.get(step.pk) != step.status and step.status not in ("pending",):
            self._seen[step.pk] = step.status
            self.write(_step_line(step))

    def wait(self, run: AnalysisRun, *, timeout: float, poll: float = 0.5) -> AnalysisRun:
        deadline = time.monotonic() + timeout
        while True:
            run.refresh_from_db()
            for step in RunStep.objects.filter(run=run).order_by("domain", "id"):
                if step.status in ("done", "failed", "reused"):
                    self._print_if_new(step)
            if run.status in FINISHED_RUN_STATUSES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run.number} still {run.status} after {timeout:.0f}s")
            time.sleep(poll)


def summary_table(run: AnalysisRun) -> str:
    # The counts the run stored when it finished (the run page shows the same); recounted if it has none.
    rows: dict[str, dict[str, int]] = run.counts or counts_by_domain(run)
    steps = {}
    for step in RunStep.objects.filter(run=run):
        steps.setdefault(step.domain, []).append(step.status)
    lines = [f"{'domain':<16} {'facts':>6} {'gaps':>6} {'findings':>9}  steps", "-" * 60]
    for domain, c in rows.items():
        statuses = ",".join(sorted(set(steps.get(domain, []))))
        lines.append(f"{domain:<16} {c['facts']:>6} {c['gaps']:>6} {c['findings']:>9}  {statuses}")
    total = {k: sum(r[k] for r in rows.values()) for k in ("facts", "gaps", "findings")}
    lines.append("-" * 60)
    lines.append(f"{'total':<16} {total['facts']:>6} {total['gaps']:>6} {total['findings']:>9}")
    return "\n".join(lines)
