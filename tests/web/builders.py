"""Deals with documents and completed runs for the analyst-page tests, written through the real services
(create_run, upsert_discovery/upsert_reasoning — so carry-forward runs — and finalize_run)."""
from __future__ import annotations

import hashlib
import itertools

from analysis.models import RunStatus, RunStep, StepStatus
from analysis.services.finalize import finalize_run
from analysis.services.persist import upsert_discovery, upsert_reasoning
from analysis.services.runs import create_run
from dealiq.schemas import DiscoveryResult, FactItem, FactLink, FindingItem, GapItem, ReasoningResult
from deals.models import Deal, Document, DocumentPage

_seq = itertools.count(1)


def make_deal(name: str = "Project Falcon") -> Deal:
    return Deal.objects.create(name=name, target_name="Falcon Ltd", buyer_name="Hawk plc")


def make_document(deal: Deal, entity: str, pages: list[str], filename: str = "inventory.txt") -> Document:
    n = next(_seq)
    doc = Document.objects.create(
        deal=deal, entity=entity, filename=filename, sha256=hashlib.sha256(f"{n}{pages}".encode()).hexdigest(),
        status="extracted", page_count=len(pages), version=1,
    )
    DocumentPage.objects.bulk_create([DocumentPage(document=doc, number=i, text=t) for i, t in enumerate(pages, 1)])
    return doc


def fact(doc: Document, domain: str, category: str, item: str, evidence: str, page: int = 1, entity=None, **details):
    return FactItem(entity=entity or doc.entity, domain=domain, category=category, item=item, evidence=evidence,
                    document_id=doc.pk, pages=[page], details=details)


def gap(domain: str, category: str, description: str, importance: str = "important", entity: str = "target", sources=()):
    return GapItem(entity=entity, domain=domain, category=category, description=description, importance=importance,
                   suggested_sources=list(sources))


def finding(domain: str, title: str, severity: str = "high", phase: str = "100_day", fact_keys=(), cost=(None, None),
            finding_type: str = "risk"):
    return FindingItem(domain=domain, finding_type=finding_type, title=title, description=f"{title}.",
                       reasoning="because", severity=severity, phase=phase, cost_low=cost[0], cost_high=cost[1],
                       links=[FactLink(k) for k in fact_keys])


def persist_run(deal: Deal, facts=(), gaps=(), findings=(), *, status: str = RunStatus.COMPLETED, domains=None):
    """A run holding these results, ending in `status` (completed through finalize_run); `domains`: the
    domains it was asked to analyse (all by default)."""
    run = create_run(deal, engine="ledger", domains=domains)
    upsert_discovery(run, DiscoveryResult(facts=list(facts), gaps=list(gaps)))
    by_domain: dict[str, list] = {}
    for f in findings:
        by_domain.setdefault(f.domain, []).append(f)
    for domain, items in by_domain.items():
        upsert_reasoning(run, domain, ReasoningResult(findings=items))
    if status == RunStatus.COMPLETED:
        RunStep.objects.filter(run=run).update(status=StepStatus.DONE)
        run.status = RunStatus.RUNNING
        run.save(update_fields=["status"])
        assert finalize_run(run.pk) == RunStatus.COMPLETED
    else:
        type(run).objects.filter(pk=run.pk).update(status=status)
    run.refresh_from_db()
    return run


def sample_results(deal: Deal):
    """A small but complete run: both entities, several domains, gaps of every importance, linked findings."""
    target = make_document(deal, "target", [
        "Inventory.\nThe ERP is SAP ECC 6.0 EHP7 with 420 users.\nMail runs on Exchange 2013.",
        "Network.\nFirewalls: FortiGate running FortiOS 6.0 at all 12 sites.",
    ], filename="target-inventory.txt")
    buyer = make_document(deal, "buyer", ["The buyer runs SAP S/4HANA 2023 and Microsoft 365."], filename="buyer-it.txt")
    facts = [
        fact(target, "applications", "erp", "SAP ECC 6.0 EHP7", "The ERP is SAP ECC 6.0 EHP7 with 420 users.", product="SAP ECC", version="6.0"),
        fact(target, "applications", "email", "Exchange 2013", "Mail runs on Exchange 2013.", product="Exchange", version="2013"),
        fact(target, "network", "firewall", "FortiGate FortiOS 6.0", "Firewalls: FortiGate running FortiOS 6.0 at all 12 sites.", page=2, sites=12),
        fact(buyer, "applications", "erp", "SAP S/4HANA 2023", "The buyer runs SAP S/4HANA 2023 and Microsoft 365.", product="SAP S/4HANA", version="2023"),
        fact(buyer, "applications", "email", "Microsoft 365", "The buyer runs SAP S/4HANA 2023 and Microsoft 365.", product="Microsoft 365"),
    ]
    gaps = [
        gap("cybersecurity", "pen_test", "No penetration test report", "critical", sources=["Latest pen test report"]),
        gap("infrastructure", "dr", "No DR test evidence", "important", sources=["DR test report"]),
        gap("network", "ip_plan", "No IP address plan", "nice_to_have"),
        gap("identity_access", "mfa", "Buyer MFA coverage unknown", "important", entity="buyer"),
    ]
    findings = [
        finding("applications", "ECC maintenance ends 2027", "critical", "long_term", [facts[0].key], (500000, 2000000)),
        finding("network", "FortiOS 6.0 is end of support", "high", "day_1", [facts[2].key], (60000, 120000)),
        finding("applications", "Move mail to buyer tenant", "medium", "tsa", [facts[1].key], (20000, 40000), "work_item"),
        finding("cybersecurity", "Request a pen test", "low", "100_day", finding_type="recommendation"),
    ]
    return facts, gaps, findings
