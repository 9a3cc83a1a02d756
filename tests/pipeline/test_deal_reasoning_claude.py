"""The deal-level reasoning layer on the Claude engine's facts: a run through the real pipeline (eager),
the real SDK talking to the fake Messages API, whose discovery answers are scripted model-extracted
facts. Finalize runs the layer, so the date, address-overlap and contradiction findings come from the
model's facts exactly as they would from the offline engine's."""
from __future__ import annotations

import datetime as dt

import pytest

from analysis.models import FactFindingLink, Finding, RunStatus
from dealiq.engines.anthropic_engine.tools import DISCOVERY_TOOL_NAME
from deals.models import Deal, Document
from tests.factories import DealFactory, DocumentFactory
from workers.pipeline import start_run

from ..fakes.fixtures import fake_anthropic  # noqa: F401  (pytest fixture)
from .test_claude_pipeline import claude_settings  # noqa: F401  (pytest fixture)

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONNAIRE = "Security questionnaire. Q4: Is MFA enforced? Answer: Yes, MFA is enforced for all users and administrators."
AUDIT = "Internal audit report 2026. Finding 3: multi-factor authentication covers only 58% of accounts; plant VPN excluded."
CONTRACTS = "Supplier contracts. The Oracle database support agreement expires on 31 January 2027 and has no renewal quote."
TARGET_NETWORK = "Network overview. Plant and office LANs are addressed from 172.20.0.0/16 with a flat layout."
BUYER_NETWORK = "Buyer network standards. The corporate WAN uses 172.20.128.0/17 for all European sites."


def _document(deal: Deal, entity: str, filename: str, text: str) -> Document:
    return DocumentFactory(deal=deal, entity=entity, filename=filename, pages=[text])


def _fact(document: Document, category: str, item: str, evidence: str, **details: str) -> dict:
    return {
        "category": category, "item": item, "evidence": evidence, "document_id": document.pk, "page": 1,
        "details": [{"name": k, "value": v} for k, v in details.items()],
    }


def _discovery(domain: str, entity: str):
    return lambda request: (
        request.tool_name == DISCOVERY_TOOL_NAME and request.domain == domain and request.entity == entity
    )


@pytest.mark.slow
def test_the_layer_reasons_over_model_extracted_facts(claude_settings, fake_anthropic):  # noqa: F811
    deal = DealFactory(
        name="Osprey", target_name="Osprey Valves", buyer_name="Kestrel Group", deal_type="acquisition",
        reference_date=dt.date(2026, 12, 15),
    )
    questionnaire = _document(deal, "target", "05-questionnaire.md", QUESTIONNAIRE)
    audit = _document(deal, "target", "11-audit-report.md", AUDIT)
    contracts = _document(deal, "target", "07-contracts.md", CONTRACTS)
    target_net = _document(deal, "target", "06-network.md", TARGET_NETWORK)
    buyer_net = _document(deal, "buyer", "03-network-standards.md", BUYER_NETWORK)

    fake_anthropic.answer_next({"facts": [
        _fact(questionnaire, "mfa", "MFA enforcement (questionnaire)", "Yes, MFA is enforced for all users and administrators."),
        _fact(audit, "mfa", "MFA coverage (audit)", "multi-factor authentication covers only 58% of accounts", coverage="58%"),
    ], "gaps": []}, when=_discovery("identity_access", "target"))
    fake_anthropic.answer_next({"facts": [
        _fact(contracts, "support_contract", "Oracle database support", "The Oracle database support agreement expires on 31 January 2027",
              vendor="Oracle", expiry="31 January 2027"),
    ], "gaps": []}, when=_discovery("applications", "target"))
    fake_anthropic.answer_next({"facts": [
        _fact(target_net, "ip_addressing", "LAN address range", "Plant and office LANs are addressed from 172.20.0.0/16", range="172.20.0.0/16"),
    ], "gaps": []}, when=_discovery("network", "target"))
    fake_anthropic.answer_next({"facts": [
        _fact(buyer_net, "ip_addressing", "WAN address range", "The corporate WAN uses 172.20.128.0/17 for all European sites."),
    ], "gaps": []}, when=_discovery("network", "buyer"))

    run = start_run(deal)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED, run.error
    assert not fake_anthropic.script, "every scripted discovery answer was used"

    findings = {f.title: f for f in Finding.objects.for_run(run)}
    contract = findings["Contract ends near close: Oracle"]
    assert "2027-01-31" in contract.description and "47 days after" in contract.description  # the layer's arithmetic
    overlap = findings["Resolve overlapping IP ranges between target and buyer"]
    assert "target 172.20.0.0/16 overlaps buyer 172.20.128.0/17" in overlap.description
    assert set(overlap.facts.values_list("entity", flat=True)) == {"target", "buyer"}
    conflict = findings["Conflicting statements on multi-factor authentication (target)"]
    links = FactFindingLink.objects.filter(finding=conflict)
    assert {(l.link_type, l.fact.document_id) for l in links} == {("contradicts", questionnaire.pk), ("contradicts", audit.pk)}
    for finding in (contract, overlap, conflict):
        assert finding.details["layer"] == "deal"
