"""Correcting the data room: withdraw and restore, move to the other entity, download and open the original,
search and filter the list — and what a run started afterwards reads."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.services.runs import document_manifest
from audit.models import AuditEvent
from deals.ingestion import store_document
from deals.models import Document, Role
from tests.support import file_bytes

pytestmark = pytest.mark.django_db


def _act(client, deal, doc, **data):
    return client.post(reverse("deals:document_curation", args=[deal.pk, doc.pk]), data, follow=True)


def test_a_withdrawn_upload_is_kept_but_no_new_run_reads_it_and_the_previous_version_comes_back(client, deal, member):
    analyst = member(deal, Role.ANALYST, "alice")
    good = store_document(deal, "target", "servers.txt", b"40 Windows servers", uploaded_by=analyst).document
    wrong = store_document(deal, "target", "servers.txt", b"the buyer's server list", uploaded_by=analyst).document
    assert [d["id"] for d in document_manifest(deal)] == [wrong.pk]
    client.force_login(analyst)
    assert "Say why" in _act(client, deal, wrong, action="withdraw", reason=" ").content.decode()
    html = _act(client, deal, wrong, action="withdraw", reason="the buyer's file, uploaded by mistake").content.decode()
    assert "withdrawn: runs started from now on do not read it" in html and 'id="withdrawn-banner"' in html
    assert [d["id"] for d in document_manifest(deal)] == [good.pk]  # v1 is read again
    assert Document.objects.filter(pk=wrong.pk).exists()  # kept for the audit trail and earlier runs
    event = AuditEvent.objects.get(event_type="document.withdrawn")
    assert event.actor_label == "alice" and event.data["reason"] == "the buyer's file, uploaded by mistake"
    listing = client.get(reverse("deals:documents", args=[deal.pk]), {"status": "withdrawn"})
    assert [d.pk for d in listing.context["documents"]] == [wrong.pk]
    _act(client, deal, wrong, action="restore")
    assert [d["id"] for d in document_manifest(deal)] == [wrong.pk]
    assert AuditEvent.objects.filter(event_type="document.restored").count() == 1


def test_moving_a_document_to_the_other_entity_moves_every_version_and_refuses_a_name_clash(client, deal, member):
    analyst = member(deal, Role.ANALYST, "alice")
    v1 = store_document(deal, "target", "landscape.md", b"# Buyer landscape v1").document
    v2 = store_document(deal, "target", "landscape.md", b"# Buyer landscape v2").document
    client.force_login(analyst)
    html = _act(client, deal, v2, action="move", entity="buyer").content.decode()
    assert "now belongs to the buyer (2 versions)" in html
    assert set(Document.objects.filter(pk__in=[v1.pk, v2.pk]).values_list("entity", flat=True)) == {"buyer"}
    assert [(d["id"], d["entity"]) for d in document_manifest(deal)] == [(v2.pk, "buyer")]
    assert AuditEvent.objects.get(event_type="document.entity_changed").data["to"] == "buyer"
    store_document(deal, "target", "landscape.md", b"# another landscape")
    clash = Document.objects.get(entity="target", filename="landscape.md")
    assert "already has a document named landscape.md" in _act(client, deal, clash, action="move", entity="buyer").content.decode()
    assert Document.objects.get(pk=clash.pk).entity == "target"


def test_viewers_cannot_correct_documents_and_outsiders_do_not_see_them(client, deal, member, make_user):
    doc = store_document(deal, "target", "a.txt", b"text").document
    client.force_login(member(deal, Role.VIEWER))
    assert client.post(reverse("deals:document_curation", args=[deal.pk, doc.pk]), {"action": "withdraw", "reason": "x"}).status_code == 403
    assert "document-curation" not in client.get(reverse("deals:document", args=[deal.pk, doc.pk])).content.decode()
    client.force_login(make_user("outsider"))
    assert client.get(reverse("deals:document_original", args=[deal.pk, doc.pk])).status_code == 404
    assert Document.objects.get(pk=doc.pk).withdrawn_at is None


def test_the_original_downloads_and_a_pdf_opens_inline_at_the_cited_page(client, deal, member):
    pdf_bytes = file_bytes.pdf("Page one text.", "Firewalls: FortiGate at 12 sites.")
    pdf_doc = store_document(deal, "target", "network.pdf", pdf_bytes).document
    html_doc = store_document(deal, "target", "notes.md", b"# Notes\n<script>alert(1)</script>").document
    client.force_login(member(deal, Role.VIEWER))
    url = reverse("deals:document_original", args=[deal.pk, pdf_doc.pk])
    download = client.get(url)
    assert b"".join(download.streaming_content) == pdf_bytes and "attachment" in download["Content-Disposition"]
    inline = client.get(url, {"inline": "1"})
    assert inline["Content-Type"] == "application/pdf" and inline["Content-Disposition"].startswith("inline")
    page = client.get(reverse("deals:document", args=[deal.pk, pdf_doc.pk]), {"page": 2}).content.decode()
    assert f"{url}?inline=1#page=2" in page and "Open the PDF at page 2" in page
    # Any other format is a download, never rendered in DealIQ's origin.
    other = client.get(reverse("deals:document_original", args=[deal.pk, html_doc.pk]), {"inline": "1"})
    assert "attachment" in other["Content-Disposition"]


def test_the_list_searches_names_and_filters_by_entity_and_status_in_constant_queries(
    client, deal, member, django_assert_max_num_queries
):
    for i in range(5):
        store_document(deal, "target" if i % 2 else "buyer", f"inventory-{i}.txt", f"content {i}".encode())
    store_document(deal, "buyer", "contracts.csv", b"vendor,end\nA,2027\n")
    client.force_login(member(deal, Role.VIEWER))
    url = reverse("deals:documents", args=[deal.pk])
    with django_assert_max_num_queries(9):
        response = client.get(url, {"q": "inventory", "entity": "buyer", "status": "extracted"})
    assert sorted(d.filename for d in response.context["documents"]) == ["inventory-0.txt", "inventory-2.txt", "inventory-4.txt"]
    assert [d.filename for d in client.get(url, {"q": "CONTRACTS"}).context["documents"]] == ["contracts.csv"]
    assert 'id="menu-documents" aria-current="page"' in response.content.decode()
