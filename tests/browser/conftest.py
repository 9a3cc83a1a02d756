from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _hand_written_findings_only(settings):
    """The flows check the findings the tests write: the deal-level layer (tested in tests/dealiq and
    tests/pipeline) stays out, as in tests/web."""
    settings.DEALIQ_DEAL_REASONING = False
