"""The optional webhook (DEALIQ_WEBHOOK_URL): a JSON POST when a run or batch finishes.

Sent by its own Celery task after the run's transaction committed, so a slow or broken receiver can
never fail or delay a run: timeouts and 5xx are retried a few times with backoff, then logged and dropped.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from celery import signature
from django.conf import settings

from .retry import backoff_delay

logger = logging.getLogger("dealiq.webhook")


class WebhookError(Exception):
    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


def post_json(url: str, payload: dict, *, timeout: float) -> int:
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "DealIQ-webhook/1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (operator-set URL)
            return response.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"HTTP {exc.code}", retry=exc.code >= 500 or exc.code == 429) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}", retry=True) from None


def deliver(task, payload: dict) -> str:
    url = settings.DEALIQ_WEBHOOK_URL
    if not url:
        return "no webhook configured"
    try:
        status = post_json(url, payload, timeout=settings.DEALIQ_WEBHOOK_TIMEOUT)
    except WebhookError as exc:
        retries = task.request.retries or 0
        if exc.retry and retries < settings.DEALIQ_WEBHOOK_RETRIES and not task.request.is_eager:
            raise task.retry(countdown=backoff_delay(retries, base=2.0, cap=60.0), max_retries=None) from None
        logger.warning("webhook %s dropped after %s attempt(s): %s", payload.get("event"), retries + 1, exc)
        return f"dropped: {exc}"
    return f"delivered: HTTP {status}"


def send_webhook(payload: dict) -> None:
    """Queue the webhook; in eager mode it runs inline, where any failure is swallowed and logged."""
    if not settings.DEALIQ_WEBHOOK_URL:
        return
    try:
        signature("dealiq.webhook", args=(payload,)).apply_async()
    except Exception:  # the webhook must never fail the run
        logger.exception("webhook %s could not be queued", payload.get("event"))
