"""A tiny model provider on 127.0.0.1 for pipeline tests: it counts every call where it arrives.

The fake engine (tests/support/fake_engine.py) POSTs one request per model call. Rules decide how the
provider answers a matching call: `transient` (429 + Retry-After), `permanent` (400) or `slow` (sleep,
then answer). The log of calls (monotonic arrival time + key) is what the tests assert on.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Rule:
    action: str  # transient | permanent | slow
    domain: str | None = None
    kind: str | None = None  # discover | reason
    entity: str | None = None
    deal: str | None = None
    key: str | None = None
    times: int | None = None  # None: every matching call
    seconds: float = 0.0  # slow: how long
    retry_after: float | None = None  # transient: sent as Retry-After

    def matches(self, call: dict) -> bool:
        return all(
            want is None or call.get(name) == want
            for name, want in (("domain", self.domain), ("kind", self.kind), ("entity", self.entity), ("deal", self.deal), ("key", self.key))
        )


@dataclass
class Call:
    at: float
    key: str
    answer: int
    body: dict = field(default_factory=dict)


class FakeProvider:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.rules: list[Rule] = []
        self.in_flight = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                status, headers, delay = provider._answer(body)
                try:
                    if delay:
                        time.sleep(delay)
                finally:
                    with provider.lock:
                        provider.in_flight -= 1
                payload = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/call"

    def _answer(self, body: dict) -> tuple[int, dict, float]:
        with self.lock:
            status, headers, delay = 200, {}, 0.0
            for rule in self.rules:
                if rule.times == 0 or not rule.matches(body):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                if rule.action == "transient":
                    status = 429
                    if rule.retry_after is not None:
                        headers["Retry-After"] = str(rule.retry_after)
                elif rule.action == "permanent":
                    status = 400
                elif rule.action == "slow":
                    delay = rule.seconds
                break
            self.calls.append(Call(time.monotonic(), body.get("key", ""), status, body))
            self.in_flight += 1
            return status, headers, delay

    def add_rule(self, **kwargs) -> Rule:
        rule = Rule(**kwargs)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self.lock:
            self.rules.clear()

    def successful_keys(self) -> list[str]:
        with self.lock:
            return [c.key for c in self.calls if c.answer == 200]

    def keys_received(self) -> set[str]:
        with self.lock:
            return {c.key for c in self.calls}

    def idle(self) -> bool:
        with self.lock:
            return self.in_flight == 0

    def arrivals(self) -> list[float]:
        with self.lock:
            return sorted(c.at for c in self.calls)

    def __enter__(self) -> "FakeProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def max_in_any_window(times: list[float], window: float) -> int:
    """The most calls that arrived within any half-open window [t, t + window)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best
