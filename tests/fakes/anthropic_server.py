"""A fake Anthropic Messages API on 127.0.0.1, for the real SDK to talk to in tests and benchmarks.

It answers POST /v1/messages and /v1/messages/count_tokens the way the API does — JSON shapes, request
ids, error bodies {"type": "error", "error": {"type": ...}} — and records every request.

Default answers are computed from the request, deterministically:
- a forced call of a tool whose schema has `facts` and `gaps` (discovery): facts whose evidence quotes
  are real sentences picked from the document blocks received (so they ground), plus one fabricated
  quote (so the ungrounded-drop counter moves), plus one gap;
- a forced call of a tool whose schema has `findings` (reasoning): findings citing the fact refs listed
  in the message, plus one ref that does not exist (so the dropped-link counter moves).

Usage is computed like the API's prompt cache (tokens ≈ characters / 4): the prefix up to each
`cache_control` breakpoint is hashed; a hit is billed as cache_read_input_tokens, a new cacheable
prefix as cache_creation_input_tokens, the rest as input_tokens. As at the API, a cache entry becomes
readable only when the response that wrote it is sent, and prefixes shorter than
`min_cacheable_tokens` are not cached.

Scripted replies (errors, malformed tool input, max_tokens cuts, dropped connections, slow replies)
are queued with `fail_next`, `malformed_next`, `cut_next`, `disconnect_next`, `slow_next`, or `enqueue`;
each is used by the next request it matches (optionally filtered with `when=`).

`sloppy` makes the computed answers schema-valid but careless, as a real model is now and then: a
cost range out of order on every n-th finding, quotes that are not in the documents on every n-th
discovery call, a blank title on every n-th finding (see `Sloppiness`).

The server keeps its own books: `served` counts the answers it billed (status 200 with usage,
message-batch entries included) and their tokens; `errors_served` the error replies. Tests compare
what DealIQ recorded against these. `before_reply(request)` (optional) runs just before an answer is
sent back, e.g. to break something "right after the model answered".
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

TINY_MAX_TOKENS = 16
SERVED_KEYS = ("calls", "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_PAGE_MARKER = re.compile(r"^\[page (\d+)\]\s*$", re.MULTILINE)
_DOC_TITLE = re.compile(r"^doc (\d+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

DOMAIN_KEYWORDS = {
    "applications": ["erp", "crm", "sap", "salesforce", "application", "licen", "saas", "workday", "oracle", "software"],
    "infrastructure": ["server", "data cent", "backup", "disaster", "vmware", "cloud", "storage", "azure", "aws", "hosting"],
    "cybersecurity": ["security", "siem", "edr", "soc", "penetration", "incident", "iso 27001", "phishing", "vulnerab", "insurance"],
    "identity_access": ["active directory", "entra", "okta", "mfa", "sso", "privileged", "identity", "access review", "account"],
    "network": ["network", "wan", "mpls", "sd-wan", "firewall", "vpn", "circuit", "site", "dns", "fortinet"],
    "organization": ["headcount", "staff", "contractor", "fte", "budget", "msp", "outsourc", "tsa", "cio", "team"],
}

FABRICATED_QUOTE = "All {domain} systems were replaced by a quantum mainframe in Atlantis in 2031."
UNKNOWN_FACT_REF = "F-does-not-exist"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    received_at: float
    body: Any = None
    status: int | None = None
    reply: Any = None
    stream_rest: float = 0.0  # a streamed answer: seconds between message_start and the rest

    @property
    def tool_name(self) -> str | None:
        choice = (self.body or {}).get("tool_choice") or {}
        return choice.get("name")

    @property
    def first_user_content(self) -> list[dict[str, Any]]:
        messages = (self.body or {}).get("messages") or [{}]
        content = messages[0].get("content", [])
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    @property
    def task_text(self) -> str:
        texts = [b.get("text", "") for b in self.first_user_content if b.get("type") == "text"]
        return texts[-1] if texts else ""

    @property
    def domain(self) -> str | None:
        found = re.search(r"Domain: (\w+)", self.task_text)
        return found.group(1) if found else None

    @property
    def entity(self) -> str | None:
        found = re.search(r"Entity: (\w+)", self.task_text) or re.search(r"Documents of the (\w+)", self.raw.decode(errors="replace"))
        return found.group(1) if found else None

    @property
    def is_repair(self) -> bool:
        return len((self.body or {}).get("messages", [])) > 1


@dataclass
class Scripted:
    """One scripted reply. status != 200 → an error body; else a tool_use message (see fields)."""

    status: int = 200
    error_type: str | None = None
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    tool_input: dict[str, Any] | None = None  # 200 with this tool input instead of the computed one
    stop_reason: str | None = None  # e.g. "max_tokens": 200 cut short, input truncated to {}
    body: dict[str, Any] | None = None  # send exactly this JSON body
    disconnect: bool = False  # close the connection without answering
    delay: float | None = None  # seconds to wait before answering (beyond a client timeout → timeout)
    when: Callable[[RecordedRequest], bool] | None = None  # only used by requests it matches


@dataclass
class Sloppiness:
    """Schema-valid nonsense in the computed answers. 0 turns a kind off; n means "every n-th"."""

    cost_inversion_every: int = 0  # findings: cost_low above cost_high
    misquote_every: int = 0  # discovery calls: every second fact quotes text that is in no document
    blank_title_every: int = 0  # findings: an empty title (an item the engine must drop)


MISQUOTE = "Our {domain} landscape was independently certified as flawless by auditors in {n} reviews."


@dataclass
class _Block:
    digest: bytes
    tokens: int
    breakpoint: bool
    ttl: str = "5m"


class FakeAnthropicServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        min_cacheable_tokens: int = 1024,
        chars_per_token: float = 4.0,
        cache_lifetime: float = 300.0,
        service_tier: str = "standard",
    ):
        self.latency = latency  # seconds added to every /v1/messages call (the benchmark uses 0.5)
        # A call allowed at most TINY_MAX_TOKENS output tokens (a cache warm-up) answers once the prompt is
        # read, as at the API where a call's time is mostly generation: after `prefill_latency` seconds
        # (None: a tenth of `latency`), cut at max_tokens.
        self.prefill_latency: float | None = None
        self.min_cacheable_tokens = min_cacheable_tokens
        self.chars_per_token = chars_per_token
        self.cache_lifetime = cache_lifetime
        self.service_tier = service_tier
        self.requests: list[RecordedRequest] = []
        self.script: deque[Scripted] = deque()
        self._cache: dict[bytes, float] = {}  # prefix digest -> expiry (monotonic)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Message Batches: id -> {"requests": [...], "results": {custom_id: result}, "ended": bool, ...}
        self.batches: dict[str, dict[str, Any]] = {}
        self.hold_batches = False  # True: batches stay in_progress until end_batches()
        self.sloppy = Sloppiness()
        self.served: dict[str, int] = dict.fromkeys(SERVED_KEYS, 0)
        self.errors_served = 0
        self.before_reply: Callable[[RecordedRequest], None] | None = None
        self._discovery_calls = 0
        self._findings_served = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "FakeAnthropicServer":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-anthropic", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeAnthropicServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget recorded requests, the script, the cache and the message batches."""
        with self._lock:
            self.requests.clear()
            self.script.clear()
            self._cache.clear()
            self.batches.clear()
            self.served = dict.fromkeys(SERVED_KEYS, 0)
            self.errors_served = 0

    def end_batches(self) -> None:
        """Held message batches end now (their results were computed when they were created)."""
        with self._lock:
            for batch in self.batches.values():
                batch["ended"] = True

    # ------------------------------------------------------------------ what was received

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def usages(self) -> list[dict[str, Any]]:
        return [r.reply["usage"] for r in self.message_requests if r.status == 200 and r.reply and "usage" in r.reply]

    # ------------------------------------------------------------------ scripting

    def enqueue(self, reply: Scripted, times: int = 1) -> None:
        with self._lock:
            self.script.extend(reply for _ in range(times))

    def fail_next(
        self,
        status: int,
        error_type: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        message: str | None = None,
        times: int = 1,
        when: Callable[[RecordedRequest], bool] | None = None,
    ) -> None:
        self.enqueue(
            Scripted(
                status=status,
                error_type=error_type or ERROR_TYPES.get(status, "api_error"),
                headers=dict(headers or {}),
                message=message or f"scripted {status}",
                when=when,
            ),
            times,
        )

    def malformed_next(self, tool_input: dict[str, Any] | None = None, *, times: int = 1, when=None) -> None:
        self.enqueue(Scripted(tool_input=tool_input if tool_input is not None else {"unexpected": True}, when=when), times)

    def answer_next(self, tool_input: dict[str, Any], *, times: int = 1, when=None) -> None:
        """A valid-looking tool call with exactly this input (e.g. a quote on the wrong page)."""
        self.enqueue(Scripted(tool_input=tool_input, when=when), times)

    def cut_next(self, *, times: int = 1, when=None) -> None:
        self.enqueue(Scripted(stop_reason="max_tokens", when=when), times)

    def disconnect_next(self, *, times: int = 1, when=None) -> None:
        self.enqueue(Scripted(disconnect=True, when=when), times)

    def slow_next(self, delay: float, *, times: int = 1, when=None) -> None:
        self.enqueue(Scripted(delay=delay, when=when), times)

    def _take_script(self, request: RecordedRequest) -> Scripted | None:
        with self._lock:
            for i, item in enumerate(self.script):
                if item.when is None or item.when(request):
                    del self.script[i]
                    return item
        return None

    # ------------------------------------------------------------------ answering

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def handle(self, request: RecordedRequest) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body); None body = drop the connection."""
        request_id = self.next_id("req")
        headers = {"request-id": request_id}
        if request.path == "/v1/messages/batches":
            return self._create_batch(request, headers)
        if request.path not in ("/v1/messages", "/v1/messages/count_tokens"):
            return 404, headers, _error_body("not_found_error", f"no route {request.path}", request_id)
        if not isinstance(request.body, dict):
            return 400, headers, _error_body("invalid_request_error", "body is not a JSON object", request_id)
        if request.path == "/v1/messages/count_tokens":
            return 200, headers, {"input_tokens": sum(b.tokens for b in self._blocks(request.body))}

        # Scripted replies are for answers: a minimal call (a cache warm-up) neither takes nor consumes one.
        tiny = 0 < int(request.body.get("max_tokens") or 0) <= TINY_MAX_TOKENS
        scripted = None if tiny else self._take_script(request)
        delay = self.latency if scripted is None or scripted.delay is None else scripted.delay
        if scripted is not None and scripted.disconnect:
            return 0, headers, None
        if scripted is not None and scripted.status != 200:
            time.sleep(delay)
            with self._lock:
                self.errors_served += 1
            return scripted.status, {**headers, **scripted.headers}, scripted.body or _error_body(
                scripted.error_type or ERROR_TYPES.get(scripted.status, "api_error"), scripted.message, request_id
            )

        usage, new_entries = self._usage(request.body)  # cache state as the request arrives
        if tiny:
            delay = self.latency / 10 if self.prefill_latency is None else self.prefill_latency
            tool_input, stop_reason = {}, "max_tokens"
        else:
            tool_input, stop_reason = self._tool_input(request, scripted)
        if request.body.get("stream") and scripted is None:
            # Streamed: the response begins (message_start) once the prompt is read; the rest follows.
            prefill = min(delay, self.latency / 10 if self.prefill_latency is None else self.prefill_latency)
            request.stream_rest = delay - prefill
            delay = prefill
        time.sleep(delay)
        now = time.monotonic()
        with self._lock:  # the entries become readable once this response has begun
            for digest in new_entries:
                self._cache[digest] = now + self.cache_lifetime
        if scripted is not None and scripted.body is not None:
            self._bill(request, scripted.body.get("usage"))
            return 200, {**headers, **scripted.headers}, scripted.body
        usage["output_tokens"] = (
            request.body.get("max_tokens", 0) if stop_reason == "max_tokens" else self._tokens(json.dumps(tool_input))
        )
        self._bill(request, usage)
        message = {
            "id": self.next_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": request.body.get("model"),
            "content": [{"type": "tool_use", "id": self.next_id("toolu"), "name": request.tool_name, "input": tool_input}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        return 200, headers, message

    def _bill(self, request: RecordedRequest, usage: dict[str, Any] | None) -> None:
        """Count an answer about to be served (the server's own books), then let a test act on it."""
        if usage:
            with self._lock:
                self.served["calls"] += 1
                for key in SERVED_KEYS[1:]:
                    self.served[key] += usage.get(key) or 0
        if self.before_reply is not None:
            self.before_reply(request)

    def _tool_input(self, request: RecordedRequest, scripted: Scripted | None) -> tuple[dict[str, Any], str]:
        if scripted is not None and scripted.stop_reason in ("max_tokens", "model_context_window_exceeded"):
            return {}, scripted.stop_reason
        if scripted is not None and scripted.tool_input is not None:
            return scripted.tool_input, scripted.stop_reason or "tool_use"
        schema = next(
            (t.get("input_schema", {}) for t in request.body.get("tools", []) if t.get("name") == request.tool_name), {}
        )
        properties = schema.get("properties", {})
        if "facts" in properties and "gaps" in properties:
            return self._sloppy_discovery(discovery_answer(request), request), "tool_use"
        if "findings" in properties:
            return self._sloppy_findings(reasoning_answer(request)), "tool_use"
        return {}, "tool_use"

    def _sloppy_discovery(self, answer: dict[str, Any], request: RecordedRequest) -> dict[str, Any]:
        with self._lock:
            self._discovery_calls += 1
            number = self._discovery_calls
        every = self.sloppy.misquote_every
        if every and number % every == 0:
            for i, fact in enumerate(answer["facts"]):
                if i % 2 == 0 and fact["category"] != "fabricated":
                    fact["evidence"] = MISQUOTE.format(domain=request.domain or "IT", n=i + 2)
        return answer

    def _sloppy_findings(self, answer: dict[str, Any]) -> dict[str, Any]:
        for finding in answer["findings"]:
            with self._lock:
                self._findings_served += 1
                number = self._findings_served
            inversion, blank = self.sloppy.cost_inversion_every, self.sloppy.blank_title_every
            if inversion and number % inversion == 1 % inversion:  # the 1st, (n+1)th… finding
                finding["cost_low"], finding["cost_high"] = 90_000 + number, 30_000
            if blank and number % blank == 0:
                finding["title"] = " "
        return answer

    # ------------------------------------------------------------------ Message Batches API

    def _create_batch(self, request: RecordedRequest, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        items = (request.body or {}).get("requests") if isinstance(request.body, dict) else None
        if not items:
            return 400, headers, _error_body("invalid_request_error", "requests: empty", headers["request-id"])
        batch_id = self.next_id("msgbatch")
        results = {}
        for item in items:  # each request answered as /v1/messages would, scripts and cache included
            inner = RecordedRequest("POST", "/v1/messages", {}, json.dumps(item["params"]).encode(), time.monotonic(),
                                    body=item["params"])
            status, _, body = self.handle(inner)
            if status == 200:
                body["usage"]["service_tier"] = "batch"
                results[item["custom_id"]] = {"type": "succeeded", "message": body}
            else:
                results[item["custom_id"]] = {"type": "errored", "error": body}
        with self._lock:
            self.batches[batch_id] = {
                "requests": items, "results": results, "ended": not self.hold_batches, "created": time.time(),
            }
        return 200, headers, self._batch_body(batch_id)

    def _batch_body(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        ended = batch["ended"]
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for result in batch["results"].values():
            counts[result["type"] if ended else "processing"] += 1
        stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        return {
            "id": batch_id, "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": stamp(batch["created"]), "expires_at": stamp(batch["created"] + 86400),
            "ended_at": stamp(time.time()) if ended else None,
            "archived_at": None, "cancel_initiated_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch_id}/results" if ended else None,
        }

    def handle_get(self, path: str) -> tuple[int, dict[str, str], bytes, str]:
        """GET a batch or its results: (status, headers, body bytes, content type)."""
        request_id = self.next_id("req")
        headers = {"request-id": request_id}
        found = re.fullmatch(r"/v1/messages/batches/([\w-]+)(/results)?", path)
        batch_id = found.group(1) if found else None
        if batch_id not in self.batches:
            body = _error_body("not_found_error", f"no batch at {path}", request_id)
            return 404, headers, json.dumps(body).encode(), "application/json"
        if found.group(2):
            if not self.batches[batch_id]["ended"]:
                body = _error_body("invalid_request_error", "batch still in progress", request_id)
                return 400, headers, json.dumps(body).encode(), "application/json"
            lines = [json.dumps({"custom_id": cid, "result": result}) for cid, result in self.batches[batch_id]["results"].items()]
            return 200, headers, ("\n".join(lines) + "\n").encode(), "application/binary"
        return 200, headers, json.dumps(self._batch_body(batch_id)).encode(), "application/json"

    # ------------------------------------------------------------------ prompt-cache emulation

    def _tokens(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token)

    def _blocks(self, body: dict[str, Any]) -> list[_Block]:
        """The request as an ordered list of cacheable units: tools, system blocks, message blocks."""
        blocks: list[_Block] = []

        def add(kind: str, item: Any, tokens: int) -> None:
            cc = item.get("cache_control") if isinstance(item, dict) else None
            plain = {k: v for k, v in item.items() if k != "cache_control"} if isinstance(item, dict) else item
            digest = json.dumps([kind, plain], sort_keys=True, ensure_ascii=False).encode()
            blocks.append(_Block(digest, tokens, cc is not None, (cc or {}).get("ttl", "5m")))

        for tool in body.get("tools") or []:
            add("tool", tool, self._tokens(json.dumps({k: v for k, v in tool.items() if k != "cache_control"})))
        system = body.get("system")
        for block in [{"type": "text", "text": system}] if isinstance(system, str) else system or []:
            add("system", block, self._tokens(block.get("text", "")))
        add("tool_choice", body.get("tool_choice") or {}, 0)  # changing it invalidates the message cache
        for message in body.get("messages") or []:
            content = message.get("content")
            for block in [{"type": "text", "text": content}] if isinstance(content, str) else content or []:
                add(message.get("role", "user"), block, self._tokens(_block_text(block)))
        if body.get("cache_control") and blocks:  # top-level automatic caching: breakpoint on the last block
            blocks[-1].breakpoint = True
        return blocks

    def _usage(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        blocks = self._blocks(body)
        model = str(body.get("model")).encode()
        digests, cumulative = [], []
        running, total = hashlib.sha256(model), 0
        for block in blocks:
            running.update(block.digest)
            digests.append(running.copy().digest())
            total += block.tokens
            cumulative.append(total)
        breakpoints = [i for i, b in enumerate(blocks) if b.breakpoint]
        now = time.monotonic()
        read_upto = -1
        with self._lock:
            for i in reversed(breakpoints):
                if self._cache.get(digests[i], 0) > now:
                    read_upto = i
                    self._cache[digests[i]] = now + self.cache_lifetime  # a hit refreshes the lifetime
                    break
        cacheable = [i for i in breakpoints if cumulative[i] >= self.min_cacheable_tokens and i > read_upto]
        write_upto = max(cacheable, default=-1)
        cache_read = cumulative[read_upto] if read_upto >= 0 else 0
        cache_write = cumulative[write_upto] - cache_read if write_upto >= 0 else 0
        ttl = blocks[write_upto].ttl if write_upto >= 0 else "5m"
        usage = {
            "input_tokens": total - cache_read - cache_write,
            "output_tokens": 0,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": cache_write if ttl == "5m" else 0,
                "ephemeral_1h_input_tokens": cache_write if ttl == "1h" else 0,
            },
            "service_tier": self.service_tier,
        }
        return usage, [digests[i] for i in cacheable]


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return block.get("text", "")
    if kind == "document":
        source = block.get("source") or {}
        return (block.get("title") or "") + (block.get("context") or "") + str(source.get("data", ""))
    if kind == "tool_use":
        return json.dumps(block.get("input"))
    if kind == "tool_result":
        content = block.get("content")
        return content if isinstance(content, str) else json.dumps(content)
    return json.dumps(block)


def _error_body(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}


# ---------------------------------------------------------------------- default answers


def document_pages(request: RecordedRequest) -> list[tuple[int, int, str]]:
    """(document id, page number, page text) of every document block in the first user message."""
    pages = []
    for block in request.first_user_content:
        if block.get("type") != "document":
            continue
        title = _DOC_TITLE.match(block.get("title") or "")
        document_id = int(title.group(1)) if title else 0
        data = str((block.get("source") or {}).get("data", ""))
        parts = _PAGE_MARKER.split(data)
        # parts: [before first marker, n1, text1, n2, text2, ...]
        for number, text in zip(parts[1::2], parts[2::2]):
            pages.append((document_id, int(number), text))
    return pages


def _sentences(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        for sentence in _SENTENCE_END.split(line.strip()):
            sentence = sentence.strip().strip("-*").strip()
            if 30 <= len(sentence) <= 240 and re.search(r"[A-Za-z]{3}", sentence) and not sentence.startswith("|--"):
                found.append(sentence)
    return found


def discovery_answer(request: RecordedRequest, max_facts: int = 4) -> dict[str, Any]:
    domain = request.domain or "applications"
    entity = request.entity or "target"
    keywords = DOMAIN_KEYWORDS.get(domain, [])
    picked: list[tuple[str, int, int, str]] = []  # keyword, document, page, sentence
    fallback: list[tuple[str, int, int, str]] = []
    per_document: dict[int, int] = {}
    for document_id, page, text in document_pages(request):
        for sentence in _sentences(text):
            lowered = sentence.lower()
            keyword = next((k for k in keywords if k in lowered), None)
            if keyword and per_document.get(document_id, 0) < 2 and len(picked) < max_facts:
                picked.append((keyword, document_id, page, sentence))
                per_document[document_id] = per_document.get(document_id, 0) + 1
            elif len(fallback) < 2:
                fallback.append(("general", document_id, page, sentence))
    picked = picked or fallback
    facts = [
        {
            "category": re.sub(r"\W+", "_", keyword).strip("_"),
            "item": " ".join(sentence.split()[:8]).rstrip(".,;:"),
            "details": [{"name": "keyword", "value": keyword}],
            "evidence": sentence,
            "document_id": document_id,
            "page": page,
        }
        for keyword, document_id, page, sentence in picked
    ]
    first_document = picked[0][1] if picked else 0
    facts.append(
        {
            "category": "fabricated",
            "item": f"Quantum mainframe ({domain})",
            "details": [],
            "evidence": FABRICATED_QUOTE.format(domain=domain),
            "document_id": first_document,
            "page": 1,
        }
    )
    gaps = [
        {
            "category": f"{domain}_roadmap",
            "description": f"The {entity} documents do not describe the {domain.replace('_', ' ')} roadmap or owners.",
            "importance": "important",
            "suggested_sources": [f"{domain.replace('_', ' ')} roadmap", "IT organisation chart"],
        }
    ]
    return {"facts": facts, "gaps": gaps}


def _listed_refs(text: str, header: str, domain: str | None = None) -> list[list[str]]:
    """Rows under a "Facts (…" / "Gaps (…" header. The deal-wide layout ("Facts of the deal, all domains
    (ref | domain | …") lists every domain: only `domain`'s rows are kept, without the domain column."""
    rows, inside, by_domain = [], False, False
    for line in text.splitlines():
        if line.startswith(("Facts ", "Gaps ")) and "(ref |" in line:
            inside = line.startswith(header)
            by_domain = "(ref | domain |" in line
            continue
        if inside and " | " in line:
            cells = [cell.strip() for cell in line.split(" | ")]
            if by_domain:
                if domain is not None and cells[1] != domain:
                    continue
                cells = [cells[0], *cells[2:]]
            rows.append(cells)
    return rows


def reasoning_answer(request: RecordedRequest) -> dict[str, Any]:
    domain = request.domain or "applications"
    text = "\n".join(b.get("text", "") for b in request.first_user_content if b.get("type") == "text")
    facts = _listed_refs(text, "Facts ", domain)
    gaps = _listed_refs(text, "Gaps ", domain)
    findings = []
    if facts:
        first = facts[:3]
        findings.append(
            _finding(
                "risk", f"{domain}: risk around {first[0][3][:60]}", "high", "day_1",
                [{"ref": row[0], "link_type": "supports"} for row in first] + [{"ref": UNKNOWN_FACT_REF, "link_type": "supports"}],
                [], 50_000, 150_000,
            )
        )
    if len(facts) > 3:
        findings.append(
            _finding(
                "work_item", f"{domain}: remediate {facts[3][3][:60]}", "medium", "100_day",
                [{"ref": row[0], "link_type": "triggers"} for row in facts[3:6]], [], 20_000, 80_000,
            )
        )
    if gaps:
        findings.append(
            _finding(
                "recommendation", f"{domain}: request the missing documents", "low", "day_1",
                [], [row[0] for row in gaps[:5]], None, None,
            )
        )
    return {"findings": findings}


def _finding(kind, title, severity, phase, facts, gap_refs, low, high) -> dict[str, Any]:
    return {
        "finding_type": kind,
        "title": title,
        "description": f"{title} (fake server).",
        "reasoning": "Derived from the cited facts by the fake Messages API.",
        "severity": severity,
        "phase": phase,
        "cost_low": low,
        "cost_high": high,
        "currency": "USD",
        "mitigation": "Plan and budget the remediation.",
        "facts": facts,
        "gap_refs": gap_refs,
    }


# ---------------------------------------------------------------------- HTTP plumbing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeAnthropicServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without NODELAY, Nagle + delayed ACK add ~40 ms a call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        fake = self.server_fake
        path = self.path.split("?")[0]
        with fake._lock:
            fake.requests.append(RecordedRequest("GET", path, {k.lower(): v for k, v in self.headers.items()}, b"", time.monotonic()))
        status, headers, payload, content_type = fake.handle_get(path)
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, message: dict[str, Any], headers: dict[str, str], rest: float) -> None:
        """The answer as server-sent events, the way the API streams a tool call: message_start at once
        (the prompt is read, its cache entries are written), the rest `rest` seconds later."""
        usage = dict(message["usage"])
        start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
        events = [("message_start", {"type": "message_start", "message": start})]
        later = []
        for index, block in enumerate(message["content"]):
            later.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": {**block, "input": {}}}))
            later.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(block.get("input", {}))}}))
            later.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        later.append(("message_delta", {"type": "message_delta", "delta": {
            "stop_reason": message["stop_reason"], "stop_sequence": None}, "usage": {"output_tokens": usage["output_tokens"]}}))
        later.append(("message_stop", {"type": "message_stop"}))

        def frames(items) -> bytes:
            return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in items)

        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(frames(events))
            self.wfile.flush()
            time.sleep(rest)
            self.wfile.write(frames(later))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        recorded = RecordedRequest(
            method="POST",
            path=self.path.split("?")[0],
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
            received_at=time.monotonic(),
        )
        try:
            recorded.body = json.loads(raw or b"null")
        except ValueError:
            recorded.body = None
        fake = self.server_fake
        with fake._lock:
            fake.requests.append(recorded)
        status, headers, body = fake.handle(recorded)
        recorded.status, recorded.reply = status, body
        if body is None:  # scripted disconnect: close without a response
            self.close_connection = True
            return
        if status == 200 and (recorded.body or {}).get("stream") and recorded.path == "/v1/messages":
            self._send_stream(body, headers, recorded.stream_rest)
            return
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True
