from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from deals.models import Deal, Role

from .support.services import CI

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DEAL = ROOT / "samples" / "sample-deal"


def pytest_sessionstart(session):
    from django.db import connection

    if CI and connection.vendor != "postgresql":
        pytest.exit("CI=true needs DATABASE_URL=postgres://… (the suite runs on real PostgreSQL)", returncode=1)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_user(db):
    def make(username: str, **extra):
        from tests.factories import UserFactory

        return UserFactory(username=username, **extra)

    return make


@pytest.fixture
def member(make_user):
    """member(deal, role) → a user with that role on the deal."""

    def make(deal: Deal, role: str = Role.ANALYST, username: str | None = None):
        from tests.factories import MembershipFactory

        user = make_user(username or f"{role}-{deal.pk}-{get_user_model().objects.count()}")
        MembershipFactory(deal=deal, user=user, role=role)
        return user

    return make


@pytest.fixture
def sample_deal(db):
    """The bundled sample deal with its data room imported (no run yet)."""
    from deals.dataroom_import import deal_from_folder

    deal, outcomes = deal_from_folder(SAMPLE_DEAL)
    assert outcomes.get("rejected", 0) == 0, outcomes
    return deal
