"""A gap the documents state themselves keeps its quote, document and page through the database to the
gaps page; a checklist gap without a statement stays as it was."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import Gap
from dealiq.schemas import GapItem
from deals.models import Role
from tests.factories import gap, make_deal, make_document, persist_run

pytestmark = pytest.mark.django_db


def test_statement_gap_is_stored_with_its_quote_and_shown_with_a_link_to_its_page(client, member):
    deal = make_deal("Project Kestrel")
    doc = make_document(deal, "target", ["Intro.", "Network diagrams are available on request."], filename="overview.md")
    stated = GapItem(
        entity="target", domain="network", category="network_diagram",
        description="Network diagrams: available only on request (“Network diagrams are available on request.”, overview.md p.2)",
        evidence="Network diagrams are available on request.", document_id=doc.pk, pages=[2],
    )
    run = persist_run(deal, gaps=[stated, gap("network", "ip_plan", "IP addressing plan: not found in the target's documents")])

    row = Gap.objects.for_run(run).get(category="network_diagram")
    assert (row.evidence, row.document_id, row.pages) == ("Network diagrams are available on request.", doc.pk, [2])
    plain = Gap.objects.for_run(run).get(category="ip_plan")
    assert (plain.evidence, plain.document_id, plain.pages) == ("", None, [])

    client.force_login(member(deal, Role.VIEWER, "reader"))
    html = client.get(reverse("analysis:gaps", args=[deal.pk])).content.decode()
    assert "“Network diagrams are available on request.”" in html
    assert reverse("analysis:page_text", args=[deal.pk, doc.pk, 2]) in html
