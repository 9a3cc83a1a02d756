"""Duplicates, versions, and what a run reads: the newest extracted version of each document."""
from __future__ import annotations

import random

import pytest

from analysis.services.runs import create_run
from deals.ingestion import store_document
from deals.models import Document, Role

from .conftest import outcomes

pytestmark = pytest.mark.django_db


def test_same_bytes_are_a_duplicate_changed_bytes_a_new_version_and_a_run_reads_only_the_newest(
    client, deal, member, upload
):
    client.force_login(member(deal, Role.ANALYST))
    first = upload(deal, "target", [("inventory.txt", b"Servers: 12 x Dell R740."), ("policy.txt", b"Backups nightly.")])
    assert [o for o, _ in outcomes(first).values()] == ["stored", "stored"]
    v1 = Document.objects.get(filename="inventory.txt")
    run_before = create_run(deal, engine="offline")

    again = upload(deal, "target", [("inventory.txt", b"Servers: 12 x Dell R740.")])
    assert outcomes(again)["inventory.txt"] == ("duplicate", "same content as inventory.txt v1; not stored again")
    assert Document.objects.count() == 2

    changed = upload(deal, "target", [("inventory.txt", b"Servers: 14 x Dell R750.")])
    outcome, message = outcomes(changed)["inventory.txt"]
    assert (outcome, message.split(";")[0]) == ("new version", "version 2, supersedes v1")
    v2 = Document.objects.get(filename="inventory.txt", version=2)
    assert v2.supersedes == v1 and v1.superseded_by == v2
    assert list(Document.objects.for_deal(deal).latest_versions().values_list("pk", flat=True).order_by("pk")) == [
        Document.objects.get(filename="policy.txt").pk,
        v2.pk,
    ]

    run_after = create_run(deal, engine="offline")
    manifest = {(m["filename"], m["version"]): (m["id"], m["sha256"]) for m in run_after.document_manifest}
    assert manifest[("inventory.txt", 2)] == (v2.pk, v2.sha256)
    assert ("inventory.txt", 1) not in manifest
    assert len(manifest) == 2
    # The earlier run's manifest is frozen: it still names version 1, whatever was uploaded since.
    run_before.refresh_from_db()
    assert {(m["filename"], m["version"], m["sha256"]) for m in run_before.document_manifest} >= {
        ("inventory.txt", 1, v1.sha256)
    }


def test_same_name_for_the_other_entity_is_a_separate_document(deal):
    target = store_document(deal, "target", "network.txt", b"Target network: MPLS.")
    buyer = store_document(deal, "buyer", "network.txt", b"Buyer network: SD-WAN.")
    assert (target.outcome, buyer.outcome) == ("stored", "stored")
    assert buyer.document.version == 1 and buyer.document.supersedes is None


def test_a_third_version_supersedes_the_second(deal):
    for i in range(1, 4):
        store_document(deal, "target", "org.txt", f"IT team of {i * 10} people.".encode())
    versions = list(Document.objects.filter(filename="org.txt").order_by("version"))
    assert [d.version for d in versions] == [1, 2, 3]
    assert [d.supersedes_id for d in versions] == [None, versions[0].pk, versions[1].pk]
    assert list(Document.objects.latest_versions()) == [versions[2]]


def test_rejected_upload_does_not_bump_the_version(deal):
    store_document(deal, "target", "plan.pdf", b"%PDF-1.4 not really")  # rejected: damaged
    assert not Document.objects.exists()
    result = store_document(deal, "target", "plan.txt", b"A plan.")
    assert result.document.version == 1


def test_a_newer_version_that_cannot_be_read_does_not_drop_the_document_from_runs(deal):
    from deals.ingestion import extract_pending_document
    from deals.models import DocumentStatus

    v1 = store_document(deal, "target", "inventory.csv", b"Hostname,OS\nsrv-01,Windows Server 2012 R2\n").document
    # Deferred extraction (the worker path): v2 is stored pending, then fails to extract.
    unreadable = random.Random(7).randbytes(4000)  # binary data under a .csv name
    v2 = store_document(deal, "target", "inventory.csv", unreadable, extract_inline=False).document
    assert v2.status == DocumentStatus.PENDING and v2.supersedes == v1

    pending_run = create_run(deal, engine="offline")  # while v2 is still being extracted
    assert [(m["id"], m["version"]) for m in pending_run.document_manifest] == [(v1.pk, 1)]

    assert extract_pending_document(v2.pk) == DocumentStatus.FAILED
    failed_run = create_run(deal, engine="offline")
    assert [(m["id"], m["version"]) for m in failed_run.document_manifest] == [(v1.pk, 1)]

    v3 = store_document(deal, "target", "inventory.csv", b"Hostname,OS\nsrv-01,Windows Server 2022\n").document
    assert v3.version == 3 and v3.status == DocumentStatus.EXTRACTED
    assert [m["id"] for m in create_run(deal, engine="offline").document_manifest] == [v3.pk]
