"""Finalize: the run's last transition, exactly once. The transition itself is in lifecycle.py."""
from __future__ import annotations

from .lifecycle import counts_by_domain, finish_run, run_finished  # noqa: F401


def finalize_run(run_id: int) -> str:
    """running → completed (every step done) or failed (some step failed). Returns what happened."""
    return finish_run(run_id)
