"""Keep a worker alive when the Redis broker restarts under it.

kombu 5.7's Redis channel rebuilds its connection pool from `self.connection.client` while the consumer
closes a broken connection (`Consumer.on_connection_error_after_connected` → `Connection.release` →
`Channel.close` → `QoS.restore_unacked`). When the broker went away mid-poll, that client has already
been detached (`Connection._do_close_transport` sets it to None), so `_connparams` raises
`AttributeError: 'NoneType' object has no attribute 'hostname'`. `ignore_errors` only swallows the
transport's connection errors, the AttributeError escapes, and celery logs "Unrecoverable error" and
exits — every worker on the broker at once (seen in tests/faults when its throwaway Redis restarts).

Raising the transport's own connection error instead lets celery do what it does for any broker
outage: log it, reconnect, and go on consuming. The unacknowledged messages stay in Redis's unacked
set and are restored by the visibility timeout (and the watchdog re-sends any step they held).
Installed once per worker process from the `worker_init` signal; a no-op if kombu changes shape.
"""
from __future__ import annotations

import logging

logger = logging.getLogger("dealiq.broker")

_INSTALLED_FLAG = "_dealiq_detached_client_guard"


def install_detached_client_guard() -> bool:
    """Patch kombu's Redis channel once; returns whether the guard is in place."""
    try:
        from kombu.transport import redis as kombu_redis
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:  # a broker other than Redis: nothing to guard
        return False
    channel_cls = kombu_redis.Channel
    if getattr(channel_cls, _INSTALLED_FLAG, False):
        return True
    original = getattr(channel_cls, "_connparams", None)
    if original is None:
        logger.warning("kombu's Redis channel has no _connparams; broker-restart guard not installed")
        return False

    def _connparams(self, *args, **kwargs):
        if getattr(self.connection, "client", None) is None:
            logger.warning("broker connection closed under the consumer; reconnecting instead of exiting")
            raise RedisConnectionError("broker connection already closed (client detached)")
        return original(self, *args, **kwargs)

    _connparams.__wrapped__ = original
    channel_cls._connparams = _connparams
    setattr(channel_cls, _INSTALLED_FLAG, True)
    return True


def on_worker_init(sender=None, **kwargs) -> None:
    install_detached_client_guard()
