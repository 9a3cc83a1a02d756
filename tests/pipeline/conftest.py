from __future__ import annotations

import pytest

from ..support.fake_provider import FakeProvider


@pytest.fixture
def provider(monkeypatch):
    """The fake model provider, and the "fake" engine (config/settings/test.py) pointed at it."""
    with FakeProvider() as fake:
        monkeypatch.setenv("DEALIQ_FAKE_PROVIDER_URL", fake.url)
        yield fake


@pytest.fixture
def fast_backoff(settings):
    """Eager mode really waits out a retry countdown: keep the backoff tiny in tests."""
    settings.DEALIQ_RETRY_BACKOFF_BASE = 0.05
    settings.DEALIQ_RETRY_BACKOFF_CAP = 0.5
