from __future__ import annotations

import pytest

from ..support.fake_provider import FakeProvider


@pytest.fixture
def provider(monkeypatch):
    """The fake model provider, and the fake engine registered as "fake" pointing at it."""
    with FakeProvider() as fake:
        monkeypatch.setenv("DEALIQ_FAKE_PROVIDER_URL", fake.url)
        monkeypatch.setenv("DEALIQ_EXTRA_ENGINES", "fake=tests.support.fake_engine:FakeEngine")
        yield fake


@pytest.fixture
def fast_backoff(settings):
    """Eager mode really waits out a retry countdown: keep the backoff tiny in tests."""
    settings.DEALIQ_RETRY_BACKOFF_BASE = 0.05
    settings.DEALIQ_RETRY_BACKOFF_CAP = 0.5
