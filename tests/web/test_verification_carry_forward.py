"""Verification survives re-runs: same key + same content carries; changed content returns to pending."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import Fact, Gap, RunStatus, Verification
from analysis.services.verification import reject_fact, resolve_gap, verify_fact
from audit.models import AuditEvent
from deals.ingestion import store_document
from deals.models import Role
from tests.factories import fact, gap, make_deal, make_document, persist_run
from workers.pipeline import start_run


@pytest.mark.django_db
def test_decisions_carry_forward_by_key_and_changed_content_returns_to_pending(make_user):
    deal = make_deal()
    analyst = make_user("ana")
    doc = make_document(deal, "target", ["ERP: SAP ECC 6.0 with 420 users.", "40 servers run Windows Server 2012 R2."])
    erp = fact(doc, "applications", "erp", "SAP ECC 6.0", "ERP: SAP ECC 6.0 with 420 users.", users=420)
    servers = fact(doc, "infrastructure", "server_os", "Windows Server 2012 R2", "40 servers run Windows Server 2012 R2.", page=2, count=40)
    wrong = fact(doc, "applications", "crm", "Salesforce", "ERP: SAP ECC 6.0 with 420 users.")
    pen = gap("cybersecurity", "pen_test", "No penetration test report", "critical")
    run1 = persist_run(deal, [erp, servers, wrong], [pen])
    verify_fact(Fact.objects.get(run=run1, key=erp.key), analyst, "matches licence list")
    verify_fact(Fact.objects.get(run=run1, key=servers.key), analyst)
    reject_fact(Fact.objects.get(run=run1, key=wrong.key), analyst, "CRM is not Salesforce")
    resolve_gap(Gap.objects.get(run=run1, key=pen.key), analyst, "report received by mail")

    run2 = persist_run(deal, [erp, servers, wrong], [pen])
    got = {f.key: f for f in Fact.objects.for_run(run2)}
    assert (got[erp.key].verification, got[erp.key].verified_in_run, got[erp.key].verified_by) == ("verified", run1.number, analyst)
    assert got[erp.key].verification_note == "matches licence list" and got[erp.key].previous_content is None
    assert (got[wrong.key].verification, got[wrong.key].verified_in_run) == ("rejected", run1.number)
    assert Gap.objects.get(run=run2, key=pen.key).resolution_note == "report received by mail"

    # Same key (same entity/domain/category/item) but the count and quote changed: back to pending.
    doc2 = make_document(deal, "target", ["ERP: SAP ECC 6.0 with 420 users.", "55 servers run Windows Server 2012 R2."], filename="v2.txt")
    servers_v2 = fact(doc2, "infrastructure", "server_os", "Windows Server 2012 R2", "55 servers run Windows Server 2012 R2.", page=2, count=55)
    assert servers_v2.key == servers.key
    run3 = persist_run(deal, [erp, servers_v2], [])
    changed = Fact.objects.get(run=run3, key=servers.key)
    assert changed.verification == Verification.PENDING and changed.verified_by is None
    assert changed.previous_content["details"] == {"count": 40}
    assert changed.previous_content["evidence"] == "40 servers run Windows Server 2012 R2."
    assert (changed.previous_content["verification"], changed.previous_content["run"]) == ("verified", run2.number)
    assert changed.previous_content["verified_in_run"] == run1.number
    assert Fact.objects.get(run=run3, key=erp.key).verified_in_run == run1.number

    # Still changed in the next run → still pending against the last decided value.
    run4 = persist_run(deal, [servers_v2])
    assert Fact.objects.get(run=run4, key=servers.key).previous_content["run"] == run2.number
    # Re-verified after the change: that decision carries from now on.
    verify_fact(Fact.objects.get(run=run4, key=servers.key), analyst, "55 confirmed")
    run5 = persist_run(deal, [servers_v2])
    assert Fact.objects.get(run=run5, key=servers.key).verified_in_run == run4.number


@pytest.mark.django_db
def test_a_decision_on_run_n_reaches_a_later_run_that_already_wrote_the_key(make_user):
    deal = make_deal()
    doc = make_document(deal, "target", ["Mail runs on Exchange 2013."])
    mail = fact(doc, "applications", "email", "Exchange 2013", "Mail runs on Exchange 2013.")
    run1 = persist_run(deal, [mail])
    in_progress = persist_run(deal, [mail], status=RunStatus.RUNNING)
    verify_fact(Fact.objects.get(run=run1, key=mail.key), make_user("ana"))
    later = Fact.objects.get(run=in_progress, key=mail.key)
    assert (later.verification, later.verified_in_run) == ("verified", run1.number)


@pytest.mark.django_db(transaction=True)
def test_verify_rerun_then_change_the_document_and_rerun_through_the_pipeline(client, member):
    """The acceptance path end to end: real pipeline (eager), a line-reading test engine, real pages."""
    deal = make_deal("Project Osprey")
    text = "IT inventory\nFACT infrastructure/server_os: Windows Server 2012 R2 | count=40; eol=yes\nFACT applications/erp: SAP ECC 6.0 | users=420\n"
    assert store_document(deal, "target", "inventory.txt", text.encode()).stored
    analyst = member(deal, Role.ANALYST, "ana")
    client.force_login(analyst)

    run1 = start_run(deal, engine="ledger")
    run1.refresh_from_db()
    assert run1.status == RunStatus.COMPLETED, run1.error
    servers = Fact.objects.get(run=run1, item="Windows Server 2012 R2")
    client.post(reverse("analysis:fact_decision", args=[deal.pk, servers.pk]), {"action": "verify", "note": "seen in CMDB"})

    run2 = start_run(deal, engine="ledger")
    carried = Fact.objects.get(run=run2, key=servers.key)
    assert (carried.verification, carried.verified_in_run) == ("verified", run1.number)
    html = client.get(reverse("analysis:facts", args=[deal.pk])).content.decode()
    assert f"Showing run {run2.number}" in html and f"verified in run {run1.number}" in html

    # A new version of the document: same server line, different count → same key, changed content.
    assert store_document(deal, "target", "inventory.txt", text.replace("count=40", "count=55").encode()).stored
    run3 = start_run(deal, engine="ledger")
    changed = Fact.objects.get(run=run3, key=servers.key)
    assert changed.verification == "pending" and changed.previous_content["details"]["count"] == "40"
    detail = client.get(reverse("analysis:fact", args=[deal.pk, changed.pk])).content.decode()
    assert 'id="previous-content"' in detail and "count: 40" in detail and "count: 55" in detail
    assert AuditEvent.objects.filter(event_type="fact.verified", actor=analyst).count() == 1
    # The unchanged ERP fact was never verified: nothing to carry.
    assert Fact.objects.get(run=run3, item="SAP ECC 6.0").verification == "pending"
