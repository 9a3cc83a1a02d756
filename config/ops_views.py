"""Operator endpoints: /healthz (load balancers, uptime checks), /healthz/live, /metrics (Prometheus).

/healthz is public on purpose (probes carry no credentials) and says only ok/fail per component,
never a URL, host credential or key. /metrics is protected like Flower: HTTP basic auth from
METRICS_BASIC_AUTH, or a logged-in staff session.
"""
from __future__ import annotations

import base64
import binascii
import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from workers.ops.health import CHECK_NAMES, check_database, health_report
from workers.ops.metrics import render_metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Everything an operator needs green; ?check=database,broker narrows it. 200 ok, 503 fail."""
    only = [name for name in request.GET.get("check", "").split(",") if name in CHECK_NAMES] or None
    report = health_report(only=only)
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """For the web container's own health check: this process serves and reaches its database.
    (Whether workers run is /healthz's business, not a reason to restart the web server.)"""
    database = check_database()
    return JsonResponse(
        {"status": database.status, "checks": {"database": database.as_dict()}},
        status=200 if database.status == "ok" else 503,
    )


def basic_auth_matches(request: HttpRequest, expected: str | None) -> bool:
    """True when the request carries `Authorization: Basic` with exactly `expected` ("user:password")."""
    if not expected:
        return False
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if not (basic_auth_matches(request, settings.METRICS_BASIC_AUTH) or (user and user.is_active and user.is_staff)):
        response = HttpResponse("Authentication required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="DealIQ metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
