"""Turn anthropic SDK exceptions into the engine errors the pipeline understands.

TransientError (retry later, honouring retry_after): 429 rate limits, 529 overloaded, any 5xx, 408
request timeout, 409 conflict (the SDK's own retry policy treats 408/409 as retryable too),
connection errors and client-side timeouts.

PermanentError (retrying the same request cannot help): 400 invalid request, 401 authentication,
402 billing, 403 permission, 404 unknown model or endpoint, 413 request too large, 422, and 429s
that are spend limits rather than rate limits (they do not clear by waiting minutes).
"""
from __future__ import annotations

import email.utils
import time
from typing import Mapping

import anthropic

from ...errors import EngineError, PermanentError, TransientError

# 429 error codes that mean "out of money", not "too fast": retrying until the attempts run out only
# burns the run's time.
_SPEND_LIMIT_CODES = {"contract_spend_limit_reached", "enforced_spend_limit_reached"}

_PERMANENT_KINDS = {
    400: "bad_request",
    401: "authentication",
    402: "billing",
    403: "permission",
    404: "not_found",
    413: "request_too_large",
    422: "unprocessable",
}


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or an HTTP date), else None."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            pass
        parsed = email.utils.parsedate_tz(value)
        if parsed is not None:
            return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def _describe(exc: anthropic.APIStatusError) -> str:
    detail = exc.api_message or exc.message
    request = f" (request {exc.request_id})" if exc.request_id else ""
    return f"Anthropic API {exc.status_code} {exc.type or 'error'}: {detail}{request}"


def map_sdk_error(exc: BaseException) -> EngineError:
    """The engine error for an SDK exception (the caller raises it `from exc`)."""
    if isinstance(exc, anthropic.APITimeoutError):  # subclass of APIConnectionError: test it first
        return TransientError(f"Anthropic API timed out: {exc}", kind="timeout")
    if isinstance(exc, anthropic.APIConnectionError):
        return TransientError(f"cannot reach the Anthropic API: {exc}", kind="connection")
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        retry_after = parse_retry_after(exc.response.headers)
        if status == 429:
            if exc.error_code in _SPEND_LIMIT_CODES:
                return PermanentError(_describe(exc), kind="spend_limit")
            return TransientError(_describe(exc), retry_after=retry_after, kind="rate_limited")
        if status == 529 or exc.type == "overloaded_error":
            return TransientError(_describe(exc), retry_after=retry_after, kind="overloaded")
        if status >= 500 or status in (408, 409):
            return TransientError(_describe(exc), retry_after=retry_after, kind="server_error")
        return PermanentError(_describe(exc), kind=_PERMANENT_KINDS.get(status, "client_error"))
    if isinstance(exc, anthropic.APIResponseValidationError):
        return PermanentError(f"Anthropic API answered with an unexpected shape: {exc}", kind="invalid_response")
    return PermanentError(f"Anthropic SDK error: {exc}", kind="sdk_error")
