"""The one set of test data builders: factory_boy factories for users, deals, memberships and documents
(with their pages), and the result builders that write runs through the real services.

Model rows come from the factories (`DealFactory(name=…)`, `DocumentFactory(deal=…, pages=[…])`); a run's
facts, gaps and findings are built as the engine's schema items (`fact`, `gap`, `finding`) and persisted with
`persist_run`, through create_run, upsert_discovery/upsert_reasoning and finalize_run — so carry-forward,
keys and counts are the production ones.
"""
from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model

from analysis.models import RunStatus, RunStep, StepStatus
from analysis.services.finalize import finalize_run
from analysis.services.persist import upsert_discovery, upsert_reasoning
from analysis.services.runs import create_run
from dealiq.schemas import DiscoveryResult, FactItem, FactLink, FindingItem, GapItem, ReasoningResult
from deals.models import Deal, DealMembership, Document, DocumentPage, DocumentStatus, Role

# --- model factories -----------------------------------------------------------------------------------

class UserFactory(factory.django.DjangoModelFactory):
    """A user whose password is "pw-<username>"."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or f"pw-{user.username}")
        if create:
            user.save(update_fields=["password"])


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Project {n}")
    target_name = "Falcon Ltd"
    buyer_name = "Hawk plc"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealMembership

    deal = factory.SubFactory(DealFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANALYST


class DocumentFactory(factory.django.DjangoModelFactory):
    """An extracted document; `pages=[text, …]` writes its DocumentPage rows and page count."""

    class Meta:
        model = Document
        skip_postgeneration_save = True

    deal = factory.SubFactory(DealFactory)
    entity = "target"
    filename = factory.Sequence(lambda n: f"document-{n}.txt")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"document {n}".encode()).hexdigest())
    status = DocumentStatus.EXTRACTED
    version = 1
    size = 0
    page_count = 0

    @factory.post_generation
    def pages(document, create, extracted, **kwargs):
        texts = list(extracted or [])
        if not texts or not create:
            return
        DocumentPage.objects.bulk_create(
            [DocumentPage(document=document, number=i, text=text) for i, text in enumerate(texts, 1)]
        )
        document.page_count = len(texts)
        document.size = document.size or sum(len(t) for t in texts)
        document.save(update_fields=["page_count", "size"])


def make_deal(name: str = "Project Falcon", **fields) -> Deal:
    return DealFactory(name=name, **fields)


def make_document(deal: Deal, entity: str, pages: list[str], filename: str = "inventory.txt") -> Document:
    return DocumentFactory(deal=deal, entity=entity, pages=pages, filename=filename)


def make_small_deal(name: str, *, pages: dict[str, list[str]] | None = None) -> Deal:
    """A deal with one short extracted document per entity (pages: entity → page texts)."""
    pages = pages or {
        "target": [f"{name} target runs SAP ECC 6.0 on premises with Windows Server 2012 R2."],
        "buyer": [f"{name} buyer standardises on Microsoft 365 and Entra ID with Okta SSO."],
    }
    deal = DealFactory(name=name, target_name=f"{name} Target", buyer_name=f"{name} Buyer")
    for entity, texts in pages.items():
        DocumentFactory(deal=deal, entity=entity, filename=f"{entity}-overview.txt", pages=texts)
    return deal


# --- results, as the engines return them ------------------------------------------------------------------

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
