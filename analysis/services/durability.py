"""Writes that need not wait for the disk: PostgreSQL's asynchronous commit, for hints only.

A commit waits for its WAL to reach the disk (≈ 4 ms on this machine's disk, several per step). Some
writes are hints that the system re-derives if a database crash loses them (the last ≈ 0.6 s of such
commits can be lost; nothing is ever corrupted, and other sessions see the write at once):

* the liveness stamps (`dispatched_at`, `held_by`): a lost one reads as "never sent" or "not held", and
  the watchdog re-sends the step — a duplicate, which a claim handles;
* the run's recount and fan-in stamp (`finalize_dispatched_at`): progress is recounted by the next step
  and by finalize; a lost stamp leaves a run whose domains are all finished, which the watchdog finalizes.

Never for a claim (its `attempts` is the fencing token) nor for a step's save (the checkpoint).
"""
from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

# For a single raw statement: a CTE that the statement must reference (… FROM …, async_commit).
ASYNC_COMMIT_CTE = "async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS off)"


@contextmanager
def without_waiting_for_disk():
    """The writes inside commit without waiting for the WAL flush (PostgreSQL; elsewhere a no-op)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # Inside a caller's transaction the caller's commit decides (and must stay durable).
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        yield
