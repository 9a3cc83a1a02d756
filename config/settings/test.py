"""pytest (pytest.ini names this module; worker subprocesses the tests start inherit it).

Everything else comes from the environment like any other process: the tests point DATABASE_URL and the
broker at the real PostgreSQL and Redis. DEBUG stays off, as Django's test runner wants it.
"""
from config.env import env_choice, env_engines

from .base import *  # noqa: F403
from .base import BUILTIN_ENGINES, DEALIQ_ENGINE_DEFAULT

SECRET_KEY = "test-only-insecure-key-never-use-in-production"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

# Test engines by dotted path, available to eager runs and to worker subprocesses alike (tests/support).
DEALIQ_EXTRA_ENGINES = {
    "fake": "tests.support.fake_engine:FakeEngine",
    "exploding": "tests.support.engines:ExplodingEngine",
    "ledger": "tests.web.ledger_engine:LedgerEngine",
    "long-error": "tests.ops.engines:LongErrorEngine",
    **env_engines("DEALIQ_EXTRA_ENGINES"),
}
DEALIQ_ENGINE = env_choice("DEALIQ_ENGINE", DEALIQ_ENGINE_DEFAULT, BUILTIN_ENGINES + tuple(DEALIQ_EXTRA_ENGINES))
