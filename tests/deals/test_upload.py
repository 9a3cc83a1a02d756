"""Uploading through the deal's documents page: bad files refused one by one, good ones stored."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from deals.ingestion import display_name
from deals.models import Document, DocumentPage, DocumentStatus, Role
from tests.support import file_bytes

from .conftest import outcomes

pytestmark = pytest.mark.django_db

SIZE_LIMIT = 10 * 1024 * 1024  # the size-limit case needs a small limit; everything else runs on defaults


def stored_files(media_root: Path) -> list[str]:
    return sorted(p.name for p in Path(media_root).rglob("*") if p.is_file())


def test_one_upload_refuses_each_bad_file_with_its_reason_and_stores_the_good_ones(
    client, deal, member, upload, settings
):
    settings.DEALIQ_DOCUMENT_MAX_FILE_BYTES = SIZE_LIMIT
    analyst = member(deal, Role.ANALYST)
    client.force_login(analyst)
    good_pdf = file_bytes.pdf("Firewall: Cisco ASA 5510 at the Hamburg site.", "ERP: SAP ECC 6.0, support ends 2027.")
    bad = {
        "broken.pdf": (file_bytes.corrupt_pdf(), "damaged"),
        "locked.pdf": (file_bytes.encrypted_pdf(), "password-protected"),
        "empty.txt": (b"", "empty (0 bytes)"),
        "huge.txt": (b"a" * (SIZE_LIMIT + 1024 * 1024), "the file is 11 MB, over the limit of 10 MB"),
        "memo.docx": (file_bytes.docx_zip_bomb(), "zip bomb"),
        "assets.xlsx": (file_bytes.xlsx_with_rows(10**6), "more than 100,000 rows"),
        "setup.pdf": (file_bytes.windows_exe(), "Windows executable, not a PDF"),
        "../../etc/passwd.txt": (b"root:x:0:0:root:/root:/bin/bash\n", "folder path"),
        "report\x00.txt": (b"harmless text with a NUL in its name", "control characters"),
        "invoice\u202etxt.exe.txt": (b"harmless text with a bidi override in its name", "right-to-left override"),
    }
    files = [("network.pdf", good_pdf), *((name, data) for name, (data, _) in bad.items()), ("notes.txt", b"Backups run nightly.")]

    response = upload(deal, "target", files)

    assert response.status_code == 200
    results = outcomes(response)
    assert list(results) == [display_name(name) for name, _ in files], "one result per file, in order, names as sent"
    for name, (_, reason) in bad.items():
        outcome, message = results[display_name(name)]
        assert outcome == "rejected", (name, outcome, message)
        assert reason in message, (name, message)
    assert results["network.pdf"] == ("stored", "2 pages")
    assert results["notes.txt"][0] == "stored"

    docs = Document.objects.for_deal(deal).order_by("filename")
    assert [(d.filename, d.status, d.page_count, d.uploaded_by) for d in docs] == [
        ("network.pdf", DocumentStatus.EXTRACTED, 2, analyst),
        ("notes.txt", DocumentStatus.EXTRACTED, 1, analyst),
    ]
    assert "Cisco ASA 5510" in DocumentPage.objects.get(document__filename="network.pdf", number=1).text
    # Nothing of a refused file reached storage, and nothing was written outside the deal's folder.
    assert stored_files(settings.MEDIA_ROOT) == sorted(Path(d.file.name).name for d in docs)
    assert all(Path(d.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()) for d in docs)
    events = AuditEvent.objects.filter(deal=deal)
    assert events.filter(event_type="document.uploaded", actor=analyst).count() == 2
    assert events.filter(event_type="document.rejected").count() == len(bad)
    # The page shows every reason.
    html = response.content.decode()
    assert "report\\x00.txt" in html and "passwd.txt" in html
    assert html.count('class="result-rejected"') == len(bad)


def test_names_are_sanitised_for_storage_and_kept_as_sent_for_display(client, deal, member, upload):
    client.force_login(member(deal, Role.ANALYST))
    response = upload(deal, "buyer", [("  Q3 report: final?.txt", b"Quarter three."), ("CON.txt", b"Device name.")])
    assert [r.outcome for r in response.context["results"]] == ["stored", "stored"]
    docs = {d.original_name: d for d in Document.objects.for_deal(deal)}
    assert docs["  Q3 report: final?.txt"].filename == "Q3 report_ final_.txt"
    assert docs["CON.txt"].filename == "_CON.txt"
    assert all(d.entity == "buyer" for d in docs.values())
    page = client.get(reverse("deals:documents", args=[deal.pk])).content.decode()
    assert "Q3 report_ final_.txt" in page and "uploaded as" in page


def test_viewer_gets_403_non_member_404_and_nothing_is_stored(client, deal, member, make_user, upload):
    client.force_login(member(deal, Role.VIEWER))
    assert upload(deal, "target", [("notes.txt", b"hello")]).status_code == 403
    page = client.get(reverse("deals:documents", args=[deal.pk]))
    assert page.status_code == 200 and not page.context["can_upload"]
    assert 'enctype="multipart/form-data"' not in page.content.decode()

    client.force_login(make_user("outsider"))
    assert upload(deal, "target", [("notes.txt", b"hello")]).status_code == 404
    assert client.get(reverse("deals:documents", args=[deal.pk])).status_code == 404
    assert not Document.objects.exists()


def test_manager_may_upload_and_anonymous_is_sent_to_login(client, deal, member, upload):
    assert upload(deal, "target", [("notes.txt", b"hello")]).status_code == 302
    client.force_login(member(deal, Role.MANAGER))
    assert upload(deal, "target", [("notes.txt", b"hello")]).context["results"][0].outcome == "stored"


def test_upload_checks_csrf(deal, member):
    from django.test import Client

    from tests.support.file_bytes import multipart

    client = Client(enforce_csrf_checks=True)
    client.force_login(member(deal, Role.ANALYST))
    body, content_type = multipart({"entity": "target"}, [("files", "notes.txt", b"hello")])
    response = client.post(reverse("deals:upload", args=[deal.pk]), data=body, content_type=content_type)
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_form_errors_are_shown_not_raised(client, deal, member, upload, settings):
    client.force_login(member(deal, Role.ANALYST))
    assert upload(deal, "nobody", [("notes.txt", b"hello")]).status_code == 400
    settings.DEALIQ_DOCUMENT_MAX_FILES_PER_UPLOAD = 2
    response = upload(deal, "target", [(f"n{i}.txt", f"note {i}".encode()) for i in range(3)])
    assert response.status_code == 400
    assert "At most 2 files per upload" in response.content.decode()
    assert not Document.objects.exists()


@pytest.mark.slow
def test_a_50000_row_asset_inventory_fits_the_default_limits(deal, upload, member, client):
    client.force_login(member(deal, Role.ANALYST))

    response = upload(deal, "target", [("cmdb-export.xlsx", file_bytes.asset_inventory_xlsx(50_000))])

    assert outcomes(response)["cmdb-export.xlsx"][0] == "stored", outcomes(response)
    document = Document.objects.get(deal=deal, filename="cmdb-export.xlsx")
    assert document.status == DocumentStatus.EXTRACTED, document.error
    last_row = "Asset ID: 49999; Hostname: srv-049999"
    assert DocumentPage.objects.filter(document=document, text__contains=last_row).exists()


def _zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_data_room_zip_uploaded_on_the_page_goes_where_its_folders_say(deal, upload, member, client):
    client.force_login(member(deal, Role.ANALYST))
    room = _zip({
        "target/it/inventory.txt": b"Servers: 12 x Dell R740 running VMware ESXi 6.7.",
        "target/it/broken.pdf": file_bytes.corrupt_pdf(),
        "buyer/strategy.docx": file_bytes.docx("Buyer runs Microsoft 365 E5."),
        "deal.json": b"{}",
    })

    response = upload(deal, "target", [("Falcon VDR export.zip", room), ("notes.txt", b"Loose notes on the WAN.")])

    lines = outcomes(response)
    assert lines["Falcon VDR export.zip › target/it/inventory.txt"][0] == "stored"
    assert lines["Falcon VDR export.zip › buyer/strategy.docx"][0] == "stored"
    assert lines["Falcon VDR export.zip › target/it/broken.pdf"][0] == "rejected"
    assert lines["Falcon VDR export.zip › deal.json"][0] == "skipped"
    assert lines["notes.txt"][0] == "stored"
    assert dict(Document.objects.values_list("filename", "entity")) == {
        "inventory.txt": "target", "strategy.docx": "buyer", "notes.txt": "target",
    }


def test_a_plain_zip_goes_to_the_chosen_entity_and_a_hostile_one_is_refused_whole(deal, upload, member, client):
    client.force_login(member(deal, Role.ANALYST))
    plain = _zip({"Network/wan.txt": b"MPLS from Colt to 14 sites.", "__MACOSX/._wan.txt": b"junk"})
    evil = _zip({"ok.txt": b"fine", "../../etc/cron.d/x.txt": b"evil"})
    empty = _zip({})

    response = upload(deal, "buyer", [("plain.zip", plain), ("evil.zip", evil), ("empty.zip", empty)])

    lines = outcomes(response)
    assert lines["plain.zip › Network/wan.txt"][0] == "stored"
    assert lines["evil.zip"][0] == "rejected" and "unsafe path" in lines["evil.zip"][1]
    assert lines["empty.zip"] == ("rejected", "the archive holds no documents")
    assert list(Document.objects.values_list("filename", "entity")) == [("wan.txt", "buyer")]


def test_an_upload_over_the_limit_is_stopped_while_streaming(deal, member, settings, tmp_path):
    """A file past its limit is not spooled (the storing handlers never see the bytes beyond it) and is
    refused with its reason while the other file is stored; a request past the request limit stops
    being read at once (413)."""
    from django.test import RequestFactory

    from deals.views import upload_documents
    from tests.support.file_bytes import multipart

    settings.DEALIQ_DOCUMENT_MAX_FILE_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    spooled = []
    real_write = TemporaryUploadedFile.write if hasattr(TemporaryUploadedFile, "write") else None

    def post(files):
        body, content_type = multipart({"entity": "target"}, files)
        request = RequestFactory().post(reverse("deals:upload", args=[deal.pk]), data=body, content_type=content_type)
        request.user = member(deal, Role.ANALYST)
        request._dont_enforce_csrf_checks = True
        return request, upload_documents(request, deal.pk), len(body)

    class Counting(TemporaryUploadedFile):
        def write(self, data):
            spooled.append(len(data))
            return super().write(data)

    import django.core.files.uploadhandler as handlers

    original = handlers.TemporaryUploadedFile
    handlers.TemporaryUploadedFile = Counting
    try:
        _, response, _ = post([("files", "big.txt", b"x" * (6 * 1024 * 1024)), ("files", "ok.txt", b"fine")])
    finally:
        handlers.TemporaryUploadedFile = original
    html = response.content.decode()
    assert "big.txt" in html and "over the limit of 1" in html
    assert list(Document.objects.values_list("filename", flat=True)) == ["ok.txt"]
    assert sum(spooled) <= 1024 * 1024 + 64 * 1024, f"{sum(spooled)} bytes spooled to disk"
    del real_write

    settings.DEALIQ_UPLOAD_MAX_REQUEST_BYTES = 2 * 1024 * 1024
    request, response, size = post([("files", "huge.txt", b"y" * (8 * 1024 * 1024))])
    assert response.status_code == 413 and "Upload refused" in response.content.decode()
    assert Document.objects.count() == 1
