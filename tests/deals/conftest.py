from __future__ import annotations

import pytest

from tests.factories import DealFactory


@pytest.fixture
def deal(db):
    return DealFactory(name="Project Falcon", target_name="Falcon GmbH", buyer_name="Hawk plc")


@pytest.fixture
def upload(client):
    """upload(deal, entity, [(name, bytes), …]) → the response of ONE multi-file POST to the upload view."""
    from django.urls import reverse

    from tests.support.file_bytes import multipart

    def post(deal, entity, files):
        body, content_type = multipart({"entity": entity}, [("files", name, data) for name, data in files])
        return client.post(reverse("deals:upload", args=[deal.pk]), data=body, content_type=content_type)

    return post


def outcomes(response) -> dict[str, tuple[str, str]]:
    """{name as sent: (outcome, message)} from an upload response."""
    return {r.filename: (r.outcome, r.message) for r in response.context["results"]}
