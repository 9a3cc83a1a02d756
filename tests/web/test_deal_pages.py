"""Run-scoped deal pages and who may see them."""
from __future__ import annotations

import pytest
from django.urls import reverse

from analysis.models import RunStatus
from analysis.services.runs import create_run
from deals.models import Role
from workers.pipeline import start_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_deal_page_shows_latest_completed_run_while_a_newer_one_runs(client, sample_deal, member):
    first = start_run(sample_deal)
    second = start_run(sample_deal)
    in_progress = create_run(sample_deal, engine="offline")
    type(in_progress).objects.filter(pk=in_progress.pk).update(status=RunStatus.RUNNING)
    client.force_login(member(sample_deal, Role.VIEWER))

    page = client.get(reverse("analysis:deal", args=[sample_deal.pk]))
    assert page.status_code == 200
    assert page.context["run"].pk == second.pk
    assert f"Showing run {second.number}" in page.content.decode()
    assert f"Run {in_progress.number} is running" in page.content.decode()

    chosen = client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": first.number})
    assert chosen.context["run"].pk == first.pk
    assert f"Showing run {first.number}" in chosen.content.decode()


def test_non_member_gets_404_and_anonymous_is_sent_to_login(client, sample_deal, make_user):
    url = reverse("analysis:deal", args=[sample_deal.pk])
    assert client.get(url).status_code == 302
    client.force_login(make_user("outsider"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("deals:list")).context["deals"].count() == 0


def test_unknown_run_number_is_404(client, sample_deal, member):
    client.force_login(member(sample_deal, Role.VIEWER))
    assert client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": 99}).status_code == 404
    assert client.get(reverse("analysis:deal", args=[sample_deal.pk]), {"run": "x"}).status_code == 404
