from __future__ import annotations

import pytest

from deals.models import Role
from tests.factories import make_deal, persist_run, sample_results


@pytest.fixture(autouse=True)
def _hand_written_findings_only(settings):
    """These pages are checked against the findings the tests write: the deal-level layer stays out
    (it has its own tests in tests/dealiq/test_deal_reasoning.py and tests/pipeline/)."""
    settings.DEALIQ_DEAL_REASONING = False


@pytest.fixture
def falcon(db):
    """A deal with one completed run of sample results: (deal, run, facts, gaps, findings) as items."""
    deal = make_deal()
    facts, gaps, findings = sample_results(deal)
    run = persist_run(deal, facts, gaps, findings)
    return deal, run, facts, gaps, findings


@pytest.fixture
def people(falcon, member, make_user):
    deal = falcon[0]
    return {
        "viewer": member(deal, Role.VIEWER, "v"),
        "analyst": member(deal, Role.ANALYST, "a"),
        "manager": member(deal, Role.MANAGER, "m"),
        "outsider": make_user("outsider"),
    }
