"""A Redis restart must not kill a worker: the guard in workers/broker_reconnect.py.

Reproduces the state a broken poll leaves behind in kombu's Redis channel (delivered-but-unacknowledged
messages, the connection pools dropped, the transport's client detached) against the real broker, and
closes the connection the way celery's consumer does after a connection error.
"""
from __future__ import annotations

import uuid

import pytest
import redis
from kombu import Connection

from tests.support.services import TEST_BROKER_URL
from tests.support.worker import require_real_stack
from workers.broker_reconnect import install_detached_client_guard

pytestmark = pytest.mark.django_db


def _broken_poll_state(conn: Connection, queue_name: str):
    channel = conn.default_channel
    queue = conn.SimpleQueue(queue_name, channel=channel)
    queue.put({"step": "network/reason"})
    message = queue.get(timeout=5)  # delivered to this consumer, not acknowledged
    channel._pool = None
    channel._async_pool = None
    conn.transport.client = None
    return message


def test_closing_a_connection_whose_broker_went_away_does_not_raise_and_keeps_the_message():
    require_real_stack()
    assert install_detached_client_guard()
    queue_name = f"dealiq-guard-{uuid.uuid4().hex[:8]}"
    conn = Connection(TEST_BROKER_URL)
    message = _broken_poll_state(conn, queue_name)

    conn.release()  # what Consumer.on_connection_error_after_connected does; kombu alone raises AttributeError

    client = redis.Redis.from_url(TEST_BROKER_URL)
    try:
        unacked = client.hgetall("unacked")
        assert any(message.delivery_tag.encode() == tag for tag in unacked), (
            "the unacknowledged message must stay in Redis for the visibility-timeout restore"
        )
    finally:
        client.hdel("unacked", message.delivery_tag)
        client.zrem("unacked_index", message.delivery_tag)
        client.delete(queue_name)


def test_the_guard_installs_once_and_leaves_healthy_connections_alone():
    require_real_stack()
    assert install_detached_client_guard()
    assert install_detached_client_guard()  # idempotent: a second worker_init changes nothing
    with Connection(TEST_BROKER_URL) as conn:
        channel = conn.default_channel
        assert channel.client.ping()
        params = channel._connparams()
        assert params["host"] == (conn.hostname or "127.0.0.1")
