"""`import_dataroom`: a folder or a .zip, one progress line per file, errors never stop the import."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from deals.models import Document, DocumentStatus
from tests.support import file_bytes

pytestmark = pytest.mark.django_db

ROOM = {
    "target/contracts/msa.pdf": file_bytes.pdf("Master services agreement with Atos, term to 2026."),
    "target/it/inventory.txt": b"Servers: 12 x Dell R740 running VMware ESXi 6.7.",
    "target/it/broken.pdf": file_bytes.corrupt_pdf(),
    "target/it/tool.pdf": file_bytes.windows_exe(),
    "buyer/strategy.docx": file_bytes.docx("Buyer runs Microsoft 365 E5."),
    "deal.json": b'{"name": "x", "target_name": "y"}',
}


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, data in files.items():
            archive.writestr(rel, data)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_dataroom", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_import_stores_good_files_reports_bad_ones_and_shows_progress(deal, tmp_path, as_zip):
    source = write_zip(tmp_path / "room.zip", ROOM) if as_zip else write_folder(tmp_path / "room", ROOM)

    output = run(deal.pk, source)

    lines = output.strip().splitlines()
    total = 6 if as_zip else 5  # deal.json sits outside target/ and buyer/: a zip reports it skipped
    assert lines[0] == f"[{'#' * round(20 / total)}{'.' * (20 - round(20 / total))}] 1/{total} buyer/strategy.docx: stored (1 page)"
    assert lines[-2].startswith(f"[####################] {total}/{total} target/it/tool.pdf: rejected")
    assert "target/it/tool.pdf: rejected (the content is a Windows executable, not a PDF)" in output
    assert "target/it/broken.pdf: rejected (the PDF is damaged" in output
    assert len(lines) == total + 1
    summary = f"Imported {total} file(s) into deal {deal.pk} (Project Falcon): 3 stored, 2 rejected"
    assert lines[-1] == summary + (", 1 skipped" if as_zip else "")
    if as_zip:
        assert "deal.json: skipped (outside the target/ and buyer/ folders)" in output
    docs = Document.objects.for_deal(deal)
    assert sorted((d.entity, d.filename, d.status) for d in docs) == [
        ("buyer", "strategy.docx", DocumentStatus.EXTRACTED),
        ("target", "inventory.txt", DocumentStatus.EXTRACTED),
        ("target", "msa.pdf", DocumentStatus.EXTRACTED),
    ]
    assert AuditEvent.objects.filter(deal=deal, event_type="document.uploaded").count() == 3

    again = run(deal.pk, source)
    assert "3 duplicate" in again.strip().splitlines()[-1]
    assert Document.objects.for_deal(deal).count() == 3


def test_zip_with_a_climbing_path_is_refused_whole(deal, tmp_path):
    source = write_zip(tmp_path / "evil.zip", {"target/ok.txt": b"fine", "target/../../etc/cron.d/x.txt": b"evil"})
    with pytest.raises(CommandError, match="unsafe path"):
        run(deal.pk, source)
    assert not Document.objects.exists()


def test_zip_bomb_room_is_refused_whole(deal, tmp_path, settings):
    settings.DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES = 5 * 1024 * 1024
    source = write_zip(tmp_path / "bomb.zip", {"target/a.txt": b"a" * (6 * 1024 * 1024)})
    with pytest.raises(CommandError, match="zip bomb"):
        run(deal.pk, source)
    assert not Document.objects.exists()


def test_bad_arguments_are_clear_errors(deal, tmp_path):
    with pytest.raises(CommandError, match="deal 999999 does not exist"):
        run(999999, tmp_path)
    with pytest.raises(CommandError, match="does not exist"):
        run(deal.pk, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="no target/ or buyer/"):
        run(deal.pk, tmp_path / "empty")


def test_defer_stores_pending_and_queues_one_extraction_per_stored_file(
    deal, tmp_path, django_capture_on_commit_callbacks
):
    source = write_folder(tmp_path / "room", {"target/a.txt": b"Alpha.", "target/b.pdf": file_bytes.corrupt_pdf()})
    with django_capture_on_commit_callbacks(execute=True) as queued:
        output = run(deal.pk, source, "--defer")
    assert "a.txt: stored (text extraction queued)" in output
    assert len(queued) == 2
    statuses = dict(Document.objects.values_list("filename", "status"))
    assert statuses == {"a.txt": DocumentStatus.EXTRACTED, "b.pdf": DocumentStatus.FAILED}
