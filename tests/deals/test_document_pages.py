"""The documents list and a document's pages: what an analyst opens from a fact's citation."""
from __future__ import annotations

import pytest
from django.urls import reverse

from deals.ingestion import store_document
from deals.models import Document, DocumentStatus, Role
from tests.factories import DealFactory, DocumentFactory
from tests.support import file_bytes

pytestmark = pytest.mark.django_db


def test_list_shows_entity_version_pages_status_and_uploader_in_constant_queries(
    client, deal, member, django_assert_max_num_queries
):
    analyst = member(deal, Role.ANALYST, username="alice")
    for i in range(6):
        store_document(deal, "buyer" if i < 2 else "target", f"doc{i % 2}.txt", f"content {i}".encode(), uploaded_by=analyst)
    DocumentFactory(deal=deal, entity="target", filename="scan.pdf",
                    status=DocumentStatus.FAILED, error="no text could be extracted from the PDF")
    client.force_login(member(deal, Role.VIEWER))
    with django_assert_max_num_queries(9):  # + the header's unread-notification count
        response = client.get(reverse("deals:documents", args=[deal.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["documents"]) == 7
    assert "superseded by v2" in html and "alice" in html and "Buyer" in html
    assert "no text could be extracted from the PDF" in html and "status-failed" in html
    # What a new run reads: buyer doc0/doc1 v1 and target doc0/doc1 v2 (not the failed scan).
    newest = {(d.entity, d.filename, d.version) for d in Document.objects.filter(pk__in=response.context["read_by_new_runs"])}
    assert newest == {("buyer", "doc0.txt", 1), ("buyer", "doc1.txt", 1), ("target", "doc0.txt", 2), ("target", "doc1.txt", 2)}
    assert html.count("read by new runs</span>") == 4


def test_list_paginates(client, deal, member, settings):
    from deals import views

    for i in range(views.DOCUMENTS_PER_PAGE + 5):
        DocumentFactory(deal=deal, entity="target", filename=f"f{i:03d}.txt")
    client.force_login(member(deal, Role.VIEWER))
    first = client.get(reverse("deals:documents", args=[deal.pk]))
    second = client.get(reverse("deals:documents", args=[deal.pk]), {"page": 2})
    assert len(first.context["documents"]) == views.DOCUMENTS_PER_PAGE and len(second.context["documents"]) == 5
    assert "Page 1 of 2" in first.content.decode() and 'rel="next"' in first.content.decode()


def test_detail_opens_the_cited_page_and_marks_the_quote(client, deal, member):
    pages = [f"Page {n} introduction." for n in range(1, 4)]
    pages[1] = "The ERP runs on SAP ECC 6.0 <script>alert(1)</script> until   2027."
    doc = store_document(deal, "target", "erp.pdf", file_bytes.pdf(*pages)).document
    client.force_login(member(deal, Role.VIEWER))
    url = reverse("deals:document", args=[deal.pk, doc.pk])

    response = client.get(url, {"page": 2, "q": "sap ecc 6.0"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="page-2"' in html and 'class="page current" id="page-2"' in html
    assert "<mark>SAP ECC 6.0</mark>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert response.context["quote_matches"] == 1
    # Whitespace in the quote need not match the page's.
    assert client.get(url, {"q": "6.0 <script>alert(1)</script> until 2027."}).context["quote_matches"] == 1
    assert "not found" in client.get(url, {"q": "Oracle"}).content.decode()
    assert client.get(url, {"page": 99}).status_code == 404
    assert client.get(url, {"page": "x"}).status_code == 404


def test_long_documents_show_the_screen_holding_the_wanted_page(client, deal, member, django_assert_max_num_queries):
    doc = DocumentFactory(deal=deal, entity="target", filename="big.txt", pages=[f"text of page {n}" for n in range(1, 121)])
    client.force_login(member(deal, Role.VIEWER))
    with django_assert_max_num_queries(11):  # + the header's unread-notification count
        response = client.get(reverse("deals:document", args=[deal.pk, doc.pk]), {"page": 75})
    numbers = [p["number"] for p in response.context["pages"]]
    assert numbers == list(range(51, 101))
    assert response.context["previous_screen"] == 1 and response.context["next_screen"] == 101


def test_versions_are_listed_and_an_old_version_warns(client, deal, member):
    v1 = store_document(deal, "target", "org.txt", b"IT team of 10.").document
    v2 = store_document(deal, "target", "org.txt", b"IT team of 12.").document
    client.force_login(member(deal, Role.VIEWER))
    html = client.get(reverse("deals:document", args=[deal.pk, v1.pk])).content.decode()
    assert "A newer version exists" in html and reverse("deals:document", args=[deal.pk, v2.pk]) in html


def test_document_of_another_deal_is_404_and_non_member_is_404(client, deal, member, make_user):
    other = DealFactory(name="Other", target_name="Other Co")
    doc = store_document(other, "target", "secret.txt", b"secret").document
    client.force_login(member(deal, Role.MANAGER))
    assert client.get(reverse("deals:document", args=[deal.pk, doc.pk])).status_code == 404
    assert client.get(reverse("deals:document", args=[other.pk, doc.pk])).status_code == 404
