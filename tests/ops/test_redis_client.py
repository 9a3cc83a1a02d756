"""One Redis client factory (dealiq/redis_client.py) for the settings, the probes, the rate limiter and
the warm-up gate: the same URLs count as Redis everywhere, kombu's unix-socket spelling included."""
from __future__ import annotations

import pytest

from dealiq.redis_client import is_redis_url, redis_client

from ..support.worker import TEST_BROKER_URL


@pytest.mark.parametrize("url", ["redis://h:6379/0", "rediss://h/1", "unix:///run/redis.sock", "redis+socket:///run/redis.sock"])
def test_redis_urls(url):
    assert is_redis_url(url)


@pytest.mark.parametrize("url", ["", None, "memory://localhost/", "filesystem://", "amqp://h//", "sqs://"])
def test_not_redis(url):
    assert not is_redis_url(url)
    if url:
        with pytest.raises(ValueError):
            redis_client(url)


def test_kombu_unix_socket_spelling_becomes_redis_py_spelling():
    client = redis_client("redis+socket:///run/redis.sock?db=3", timeout=0.5)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["path"] == "/run/redis.sock" and kwargs["db"] == 3 and kwargs["socket_timeout"] == 0.5


def test_client_talks_to_the_test_redis():
    assert redis_client(TEST_BROKER_URL, timeout=2.0).ping() is True
