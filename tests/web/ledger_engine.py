"""A tiny deterministic engine for the analyst-page tests: it reads facts and gaps written as lines.

    FACT applications/erp: SAP ECC 6.0 | version=6.0; users=420
    GAP cybersecurity/pen_test critical: No penetration test report in the data room | Pen test report

The whole line is the evidence quote (so grounding always finds it). Reasoning turns every fact whose
details say `eol=yes` into a high risk linked to it, with a cost range. Registered as "ledger"
in config/settings/test.py's DEALIQ_EXTRA_ENGINES, like the pipeline's test engines.
"""
from __future__ import annotations

import re

from dealiq.schemas import (
    DiscoveryRequest,
    DiscoveryResult,
    FactItem,
    FactLink,
    FindingItem,
    GapItem,
    ReasoningRequest,
    ReasoningResult,
)

FACT = re.compile(r"^FACT (\w+)/(\w+): ([^|\n]+?)(?: \| ([^\n]*))?$", re.M)
GAP = re.compile(r"^GAP (\w+)/(\w+) (\w+): ([^|\n]+?)(?: \| ([^\n]*))?$", re.M)


def _details(text: str | None) -> dict:
    pairs = (p.split("=", 1) for p in (text or "").split(";") if "=" in p)
    return {k.strip(): v.strip() for k, v in pairs}


class LedgerEngine:
    name = "ledger"
    model = "ledger-1"

    def discover(self, request: DiscoveryRequest) -> DiscoveryResult:
        result = DiscoveryResult()
        for page in request.pages:
            if page.entity != request.entity:
                continue
            for m in FACT.finditer(page.text):
                if m.group(1) == request.domain:
                    result.facts.append(FactItem(
                        entity=request.entity, domain=request.domain, category=m.group(2), item=m.group(3).strip(),
                        evidence=m.group(0), document_id=page.document_id, pages=[page.page_number],
                        details=_details(m.group(4)),
                    ))
            for m in GAP.finditer(page.text):
                if m.group(1) == request.domain:
                    result.gaps.append(GapItem(
                        entity=request.entity, domain=request.domain, category=m.group(2), importance=m.group(3),
                        description=m.group(4).strip(), suggested_sources=[s for s in [(m.group(5) or "").strip()] if s],
                    ))
        return result

    def reason(self, request: ReasoningRequest) -> ReasoningResult:
        findings = [
            FindingItem(
                domain=request.domain, finding_type="risk", title=f"End of support: {fact.item}",
                description=f"{fact.item} is out of support.", reasoning="details say eol=yes",
                severity="high", phase="100_day", cost_low=10000, cost_high=50000,
                mitigation="Upgrade or buy extended support.", links=[FactLink(fact.key, "triggers")],
            )
            for fact in request.facts
            if fact.details.get("eol") == "yes"
        ]
        return ReasoningResult(findings=findings)
