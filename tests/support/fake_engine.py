"""An engine that makes one HTTP call to the fake provider per model call, like a real one.

Discovery treats every page as its own batch (one call each) and reports each batch through the
sub-checkpoint hooks; reasoning is one call. The results are deterministic from the pages, so two runs
of the same deal produce the same keys. Configured from the environment so the same class works in
eager tests and in worker subprocesses:
  DEALIQ_FAKE_PROVIDER_URL   where the fake provider listens
  DEALIQ_FAKE_PROVIDER_NAME  the rate-limit bucket ("fake" by default)
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid

from dealiq.errors import PermanentError, TransientError
from dealiq.schemas import DiscoveryResult, FactItem, FactLink, FindingItem, GapItem, ReasoningResult, Usage


class FakeEngine:
    name = "fake"
    model = "fake-model-1"

    def __init__(self):
        self.url = os.environ["DEALIQ_FAKE_PROVIDER_URL"]
        self.provider = os.environ.get("DEALIQ_FAKE_PROVIDER_NAME", "fake")

    def _call(self, before_call=None, **body) -> Usage:
        if before_call is not None:  # the pipeline's rate limit, right before the HTTP request
            before_call(input_tokens=max(1, len(body.get("text", "")) // 4))
        data = json.dumps(body).encode()
        request = urllib.request.Request(self.url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                retry_after = exc.headers.get("Retry-After")
                raise TransientError(
                    "fake provider: rate limited", retry_after=float(retry_after) if retry_after else None,
                    kind="rate_limited",
                ) from None
            raise PermanentError(f"fake provider: HTTP {exc.code} bad request", kind="bad_request") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TransientError(f"fake provider unreachable: {exc}", kind="connection") from None
        request_id = f"req_{uuid.uuid4().hex[:12]}"
        tokens = max(1, len(body.get("text", "")) // 4)
        return Usage(
            calls=1, input_tokens=tokens, output_tokens=10, cost=0.001, model=self.model, request_ids=[request_id],
            call_records=[{"request_id": request_id, "model": self.model, "input_tokens": tokens,
                           "output_tokens": 10, "cost": 0.001}],
        )

    def discover(self, request) -> DiscoveryResult:
        total = DiscoveryResult()
        for index, page in enumerate(request.pages):
            if request.should_stop and request.should_stop():
                break
            if index in request.completed_batches:
                total.extend(request.completed_batches[index])
                continue
            key = f"{request.deal.name}|{request.domain}|{request.entity}|{index}"
            usage = self._call(request.before_call, key=key, deal=request.deal.name, domain=request.domain, kind="discover",
                               entity=request.entity, text=page.text)
            result = DiscoveryResult(
                facts=[FactItem(entity=request.entity, domain=request.domain, category="inventory",
                                item=f"{request.domain} item in {page.filename} p{page.page_number}",
                                evidence=page.text[:80], document_id=page.document_id, pages=[page.page_number])],
                gaps=[GapItem(entity=request.entity, domain=request.domain, category="coverage",
                              description=f"No {request.domain} roadmap in {page.filename}")],
                usage=usage,
            )
            if request.on_batch_done:
                request.on_batch_done(index, result)
            total.extend(result)
        return total

    def reason(self, request) -> ReasoningResult:
        key = f"{request.deal.name}|{request.domain}|reason"
        usage = self._call(request.before_call, key=key, deal=request.deal.name, domain=request.domain, kind="reason", text="")
        finding = FindingItem(
            domain=request.domain, finding_type="risk", title=f"{request.domain} review",
            description=f"{len(request.facts)} facts and {len(request.gaps)} gaps reviewed",
            reasoning="fake engine", severity="medium", phase="100_day",
            links=[FactLink(fact_key=f.key, link_type="supports") for f in request.facts],
        )
        return ReasoningResult(findings=[finding], usage=usage)
