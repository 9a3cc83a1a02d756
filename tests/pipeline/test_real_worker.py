"""The same analysis through a real `celery worker` process on Redis + PostgreSQL."""
from __future__ import annotations

import pytest

from analysis.models import RunStatus, RunStep, StepStatus
from workers.pipeline import start_run

from ..support.worker import RealStack, require_real_stack, wait_for_run
from .test_skeleton import row_counts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.mark.slow
def test_real_worker_run_matches_the_eager_run(sample_deal):
    require_real_stack()
    eager = start_run(sample_deal)
    eager.refresh_from_db()
    assert eager.status == RunStatus.COMPLETED

    with RealStack() as stack:
        worker = stack.start_worker(concurrency=2)
        # fresh: the same documents would otherwise reuse the eager run's results (tests/pipeline/test_reuse.py).
        real = wait_for_run(start_run(sample_deal, fresh=True), timeout=180)
        assert real.status == RunStatus.COMPLETED, f"{real.error}\n{worker.log_tail()}"

    assert set(RunStep.objects.filter(run=real).values_list("status", flat=True)) == {StepStatus.DONE}
    assert row_counts(real) == row_counts(eager)
    assert real.counts == eager.counts
    assert all(step.worker.startswith("w0-") for step in RunStep.objects.filter(run=real))
