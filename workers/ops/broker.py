"""A short-timeout Redis client on the Celery broker, for probes that must never hang."""
from __future__ import annotations

from celery import current_app as app  # the one app (config/celery_app.py), set current when Django loads

from dealiq.redis_client import is_redis_url
from dealiq.redis_client import redis_client as client_for


def broker_url() -> str:
    url = app.conf.broker_url or ""
    return url.split(";")[0].strip()  # a failover list: probe the first


def broker_is_redis() -> bool:
    return is_redis_url(broker_url())


def redis_client(timeout: float):
    """A short-timeout client on the broker (dealiq/redis_client.py reads the URL)."""
    return client_for(broker_url(), timeout=timeout)


def queue_keys(queue: str) -> list[str]:
    """The Redis lists behind one Celery queue: priority steps live in "<queue><sep><n>" keys."""
    options = app.conf.broker_transport_options or {}
    sep = options.get("sep", "\x06\x16")
    return [queue] + [f"{queue}{sep}{n}" for n in options.get("priority_steps", [])[1:]]


def broker_started_at(timeout: float = 2.0):
    """When the Redis broker last started (None: not Redis, or no answer). A message sent before then
    is gone if Redis keeps no persistence, and a spare copy is harmless if it does."""
    import datetime as dt

    from django.utils import timezone

    if not broker_is_redis():
        return None
    try:
        uptime = int(redis_client(timeout).info("server")["uptime_in_seconds"])
    except Exception:  # a probe: no answer means no evidence
        return None
    return timezone.now() - dt.timedelta(seconds=uptime + 1)


def queued_messages(queue: str, timeout: float = 5.0) -> set[tuple[str, tuple]] | None:
    """(task name, args) of every message waiting in a Redis queue (all priority lists), or None when
    the broker is not Redis or does not answer. Messages a worker has taken are not in these lists."""
    import ast
    import json

    if not broker_is_redis():
        return None
    found: set[tuple[str, tuple]] = set()
    try:
        client = redis_client(timeout)
        for key in queue_keys(queue):
            for raw in client.lrange(key, 0, -1):
                try:
                    headers = json.loads(raw).get("headers") or {}
                    args = ast.literal_eval(headers.get("argsrepr") or "()")
                except (ValueError, SyntaxError, AttributeError):
                    continue
                found.add((headers.get("task", ""), tuple(args) if isinstance(args, (list, tuple)) else ()))
    except Exception:  # a probe: no answer means no evidence
        return None
    return found


def try_lock(name: str, seconds: float) -> bool:
    """A best-effort lock in Redis (True when there is no Redis to ask): one watchdog round at a time."""
    if not broker_is_redis():
        return True
    try:
        return bool(redis_client(2.0).set(f"dealiq:lock:{name}", "1", nx=True, px=max(1, int(seconds * 1000))))
    except Exception:
        return True


def unlock(name: str) -> None:
    if broker_is_redis():
        try:
            redis_client(2.0).delete(f"dealiq:lock:{name}")
        except Exception:
            pass
