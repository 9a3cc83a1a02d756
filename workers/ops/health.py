"""The health report behind /healthz and `manage.py doctor`.

Cheap enough to poll every 10 s: one `SELECT 1`, one indexed query, a Redis PING and GET, one
worker ping that returns at the first answer, a statvfs. Every probe has a short timeout. The
report never contains URLs, passwords or keys: errors are reduced to their class and a scrubbed
message.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from celery import current_app as app  # the one app (config/celery_app.py), set current when Django loads
from django.conf import settings
from django.db import connection
from django.utils import timezone

from analysis.models import AnalysisRun, RunStatus

from .beat import beat_last_seen
from .broker import broker_is_redis, broker_url, queue_keys, redis_client
from .disk import MB, lowest_free

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    status: str
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": self.status, **self.detail}


def _secrets() -> list[str]:
    db = connection.settings_dict
    values = [settings.SECRET_KEY, db.get("PASSWORD") or "", settings.METRICS_BASIC_AUTH or ""]
    from urllib.parse import urlparse

    parsed = urlparse(broker_url())
    values += [parsed.password or "", parsed.username or ""]
    return [v for v in values if v and len(v) >= 4]


def _error(exc: BaseException) -> str:
    """The exception, readable, with anything secret-looking removed."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    message = re.sub(r"\w+://\S+", "<url>", message)
    for secret in _secrets():
        message = message.replace(secret, "***")
    return f"{type(exc).__name__}: {message}"[:200]


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check(FAIL, {"error": _error(exc)})
    return Check(OK, {"vendor": connection.vendor})


def check_broker(timeout: float) -> Check:
    if _eager():
        return Check(OK, {"mode": "eager (tasks run in-process, no broker)"})
    try:
        if broker_is_redis():
            redis_client(timeout).ping()
        else:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return Check(FAIL, {"error": _error(exc)})
    return Check(OK)


def check_workers(timeout: float, broker: Check) -> Check:
    if _eager():
        return Check(OK, {"mode": "eager"})
    if broker.status == FAIL:
        return Check(FAIL, {"error": "broker unreachable: cannot ping workers"})
    try:
        # A fresh connection (a pooled one may predate a Redis restart); limit=1 returns at the first
        # answer instead of waiting out the timeout.
        with app.connection_for_write() as conn:
            replies = app.control.ping(timeout=timeout, limit=1, connection=conn)
    except Exception as exc:
        return Check(FAIL, {"error": _error(exc)})
    if not replies:
        return Check(FAIL, {"error": f"no worker answered ping within {timeout:g}s", "answering": 0})
    return Check(OK, {"answering": len(replies)})


def check_beat(timeout: float, broker: Check, now: float | None = None) -> Check:
    if _eager():
        return Check(OK, {"mode": "eager (no beat)"})
    if not broker_is_redis():
        return Check(WARN, {"error": "beat is only tracked on a Redis broker"})
    if broker.status == FAIL:
        return Check(FAIL, {"error": "broker unreachable: beat last seen unknown"})
    try:
        seen = beat_last_seen(timeout)
    except Exception as exc:
        return Check(FAIL, {"error": _error(exc)})
    if seen is None:
        return Check(FAIL, {"error": "beat never seen (no watchdog has run yet)", "last_seen": None})
    age = max(0.0, (now or time.time()) - seen)
    detail = {
        "last_seen": dt.datetime.fromtimestamp(seen, tz=dt.timezone.utc).isoformat(timespec="seconds"),
        "age_seconds": round(age, 1),
    }
    if age > settings.DEALIQ_BEAT_STALE_SECONDS:
        return Check(FAIL, {**detail, "error": f"beat not seen for {age:.0f}s"})
    return Check(OK, detail)


def check_disk() -> Check:
    try:
        low = lowest_free()
    except OSError as exc:
        return Check(FAIL, {"error": _error(exc)})
    detail = {"free_mb": low.free_mb, "minimum_mb": settings.DEALIQ_MIN_FREE_DISK_MB}
    if low.free_bytes < settings.DEALIQ_MIN_FREE_DISK_MB * MB:
        return Check(FAIL, {**detail, "error": "free disk space below DEALIQ_MIN_FREE_DISK_MB"})
    return Check(OK, detail)


def check_queue(timeout: float, broker: Check) -> Check:
    """The oldest queued run (run_status_created_idx) and, on Redis, the messages waiting."""
    try:
        oldest = (
            AnalysisRun.objects.filter(status=RunStatus.QUEUED).order_by("created_at").values_list("created_at", flat=True).first()
        )
    except Exception as exc:
        return Check(FAIL, {"error": _error(exc)})
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    detail = {"oldest_queued_run_age_seconds": round(age, 1)}
    if not _eager() and broker_is_redis() and broker.status == OK:
        try:
            client = redis_client(timeout)
            pipe = client.pipeline(transaction=False)
            for key in queue_keys(app.conf.task_default_queue):
                pipe.llen(key)
            detail["messages_waiting"] = sum(pipe.execute())
        except Exception as exc:
            detail["messages_waiting_error"] = _error(exc)
    if age > settings.DEALIQ_QUEUED_WARN_SECONDS:
        return Check(WARN, {**detail, "error": f"a run has waited {age:.0f}s for a worker"})
    return Check(OK, detail)


def health_report(*, only: list[str] | None = None) -> dict:
    """{"status": "ok"|"fail", "checks": {...}}. Any failing check makes the whole report fail;
    a warning does not."""
    timeout = settings.DEALIQ_HEALTH_TIMEOUT
    started = time.monotonic()
    checks: dict[str, Check] = {}
    wanted = set(only or ("database", "broker", "workers", "beat", "disk", "queue"))
    if "database" in wanted:
        checks["database"] = check_database()
    broker = check_broker(timeout)
    if "broker" in wanted:
        checks["broker"] = broker
    if "workers" in wanted:
        checks["workers"] = check_workers(timeout, broker)
    if "beat" in wanted:
        checks["beat"] = check_beat(timeout, broker)
    if "disk" in wanted:
        checks["disk"] = check_disk()
    if "queue" in wanted:
        checks["queue"] = check_queue(timeout, broker) if checks.get("database", Check(OK)).status == OK else Check(
            FAIL, {"error": "database unreachable"}
        )
    healthy = all(c.status != FAIL for c in checks.values())
    return {
        "status": OK if healthy else FAIL,
        "checks": {name: check.as_dict() for name, check in checks.items()},
        "time": timezone.now().isoformat(timespec="seconds"),
        "duration_ms": round((time.monotonic() - started) * 1000),
    }


CHECK_NAMES = ("database", "broker", "workers", "beat", "disk", "queue")
