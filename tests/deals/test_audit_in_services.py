"""Each state change of deals/ records its own audit event inside its service — whichever door it came
through (page, admin, a direct call) — and a refused change records nothing."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from deals.curation import CurationError, move_to_entity, restore_document, withdraw_document
from deals.ingestion import store_document
from deals.membership import MembershipError, create_deal, remove_member, set_member_role
from deals.models import DealMembership, Entity, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return get_user_model().objects.create_user("boss", password="pw-123-secret")


def events(event_type: str):
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_creating_a_deal_on_the_page_is_audited(client, boss):
    client.force_login(boss)
    response = client.post(reverse("deals:create"), {
        "name": "Project Kite", "target_name": "Kite AG", "buyer_name": "Hawk plc", "deal_type": "acquisition",
        "industry": "", "reference_date": "2026-12-01",
    })
    assert response.status_code == 302
    [event] = events("deal.created")
    assert (event.actor, event.deal.name, event.actor_label) == (boss, "Project Kite", "boss")
    assert "name" in event.data["fields"] and "via" not in event.data
    assert DealMembership.objects.get(deal=event.deal, user=boss).role == Role.MANAGER


def test_membership_changes_are_audited_by_the_service(boss):
    deal = create_deal(owner=boss, name="Project Owl", target_name="Owl SA", via="import")
    ana = get_user_model().objects.create_user("ana")
    membership = set_member_role(deal, "ana", Role.ANALYST, actor=boss)
    set_member_role(deal, "ana", Role.VIEWER, actor=boss, via="admin")
    remove_member(deal, membership.pk, actor=boss)
    assert [(e.data["user"], e.data["role"], e.data.get("via")) for e in events("membership.set")] == [
        ("ana", "analyst", None), ("ana", "viewer", "admin")]
    [removed] = events("membership.removed")
    assert (removed.actor, removed.deal_id, removed.object_id, removed.data) == (boss, deal.pk, str(membership.pk), {"user": "ana"})
    assert events("deal.created")[0].data["via"] == "import"
    assert not DealMembership.objects.filter(user=ana).exists()


def test_a_refused_membership_change_records_nothing(boss):
    deal = create_deal(owner=boss, name="Project Owl", target_name="Owl SA")
    only_manager = DealMembership.objects.get(deal=deal, user=boss)
    with pytest.raises(MembershipError):
        remove_member(deal, only_manager.pk, actor=boss)
    with pytest.raises(MembershipError):
        set_member_role(deal, "nobody", Role.VIEWER, actor=boss)
    assert not AuditEvent.objects.filter(event_type__startswith="membership.").exists()


def test_curation_is_audited_by_the_service(boss):
    deal = create_deal(owner=boss, name="Project Owl", target_name="Owl SA")
    document = store_document(deal, Entity.TARGET, "inventory.txt", b"SAP ECC 6.0 on 40 servers").document
    withdraw_document(document, boss, " wrong deal ")
    with pytest.raises(CurationError):
        withdraw_document(document, boss, "again")
    restore_document(document, boss)
    move_to_entity(document, Entity.BUYER, boss)
    [withdrawn] = events("document.withdrawn")
    assert (withdrawn.actor, withdrawn.data["reason"], withdrawn.data["document"]) == (boss, "wrong deal", "inventory.txt v1")
    assert [e.actor for e in events("document.restored")] == [boss]
    [moved] = events("document.entity_changed")
    assert (moved.data["from"], moved.data["to"], moved.data["versions"]) == ("target", "buyer", [1])


def test_extraction_outcomes_are_audited(boss):
    from deals.ingestion import extract_pending_document, reset_for_extraction
    from deals.models import Document
    from tests.support.file_bytes import corrupt_pdf

    deal = create_deal(owner=boss, name="Project Owl", target_name="Owl SA")
    good = store_document(deal, Entity.TARGET, "inventory.txt", b"SAP ECC 6.0 on 40 servers", extract_inline=False).document
    bad = store_document(deal, Entity.TARGET, "scan.pdf", corrupt_pdf(), extract_inline=False).document
    assert extract_pending_document(good.pk) == "extracted"
    assert extract_pending_document(bad.pk) == "failed"
    assert extract_pending_document(bad.pk) == "failed"  # a redelivered message: nothing more happens
    [extracted] = events("document.extracted")
    assert (extracted.object_id, extracted.data, extracted.actor) == (str(good.pk), {"document": "inventory.txt v1", "pages": 1}, None)
    assert extracted.actor_label.startswith("worker@")
    [failed] = events("document.extraction_failed")
    assert (failed.object_id, failed.severity, failed.deal_id) == (str(bad.pk), "warning", deal.pk)
    assert failed.data["error"] == Document.objects.get(pk=bad.pk).error

    assert reset_for_extraction(Document.objects.filter(deal=deal), actor=boss) == [bad.pk]
    [requeued] = events("document.extraction_requeued")
    assert (requeued.actor, requeued.data) == (boss, {"documents": [bad.pk]})
