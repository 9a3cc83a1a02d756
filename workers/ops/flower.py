"""Flower, the operator's live view of Celery. Always behind basic auth; the run table stays the
system of record (Flower keeps recent task events in memory only)."""
from __future__ import annotations

import os
import secrets
import sys
from urllib.parse import quote

from django.conf import settings


class FlowerConfigError(Exception):
    """Flower cannot start safely; the message says what to set."""


def flower_task_url(task_id: str | None) -> str:
    """Flower's page for one Celery task, or "" when FLOWER_URL is not set or there is no task id."""
    base = (getattr(settings, "FLOWER_URL", "") or "").rstrip("/")
    if not base or not task_id:
        return ""
    return f"{base}/task/{quote(str(task_id), safe='')}"


def _valid(credential: str) -> bool:
    user, sep, password = credential.partition(":")
    return bool(user and sep and password)


def flower_credentials(environ: dict | None = None, *, debug: bool | None = None) -> tuple[str, bool]:
    """(FLOWER_BASIC_AUTH value, generated?). Outside DEBUG missing or weak credentials refuse to
    start; in DEBUG a random password is generated so authentication is on even on a laptop."""
    environ = os.environ if environ is None else environ
    debug = settings.DEBUG if debug is None else debug
    value = (environ.get("FLOWER_BASIC_AUTH") or "").strip()
    if value:
        credentials = [c for c in value.split(",") if c]
        if not all(_valid(c) for c in credentials):
            raise FlowerConfigError('FLOWER_BASIC_AUTH must be "user:password" (several separated by commas).')
        if not debug and any(len(c.partition(":")[2]) < 12 for c in credentials):
            raise FlowerConfigError("FLOWER_BASIC_AUTH password too short for production: use at least 12 characters.")
        return value, False
    if not debug:
        raise FlowerConfigError(
            'Refusing to start Flower without authentication: set FLOWER_BASIC_AUTH="user:password".'
        )
    return f"admin:{secrets.token_urlsafe(12)}", True


def flower_command(port: int, extra: list[str] | None = None) -> list[str]:
    # Credentials travel in the environment (FLOWER_BASIC_AUTH), never on the command line (`ps`).
    return [sys.executable, "-m", "celery", "-A", "config", "flower", f"--port={port}", *(extra or [])]
