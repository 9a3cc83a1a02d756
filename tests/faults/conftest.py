from __future__ import annotations

import statistics

from .harness import TALLY


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TALLY["runs"]:
        return
    recovery = TALLY["recovery_seconds"]
    median = f"{statistics.median(recovery):.1f} s" if recovery else "n/a"
    write = terminalreporter.write_line
    terminalreporter.section("fault suite")
    write(f"runs: {TALLY['runs']}  killed: {TALLY['runs_killed']}  server restarts: {TALLY['restarts']}  "
          f"duplicate deliveries: {TALLY['duplicate_deliveries']}")
    write(f"runs lost: {TALLY['runs_lost']}  count mismatches: {TALLY['count_mismatches']}  "
          f"duplicate rows: {TALLY['duplicate_rows']}  falsely stalled: {TALLY['falsely_stalled']}")
    write(f"recovery after SIGKILL (kill → the killed work done again, default settings): median {median} "
          f"over {len(recovery)} killed runs; max {max(recovery):.1f} s" if recovery else "recovery: n/a")
