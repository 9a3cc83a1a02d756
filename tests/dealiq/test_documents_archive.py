"""Data-room archives and folders: safe paths, zip-bomb guard, target/ and buyer/ layout."""
from __future__ import annotations

import os

import pytest

from dealiq.documents import (
    CorruptFileError,
    DataRoomFile,
    DataRoomLayoutError,
    EncryptedFileError,
    FileTooLargeError,
    Limits,
    UnsafeArchiveError,
    ZipBombError,
    extract_document,
    iter_archive,
    iter_dataroom,
)
from dealiq.documents.limits import MB

from .test_documents_fixtures import KNOWN_SENTENCE, make_pdf, make_zip, replace_zip_member, zeros

PDF = make_pdf(pages=3)


def skipped_collector():
    skipped: list[tuple[str, str]] = []
    return skipped, lambda path, reason: skipped.append((path, reason))


# --- iter_archive --------------------------------------------------------------------------------


def test_archive_yields_files_sorted_and_skips_directories_and_os_debris():
    data = make_zip(
        {
            "target/b.txt": b"b",
            "target/": b"",
            "target/a.pdf": PDF,
            "__MACOSX/target/._a.pdf": b"\x00\x05\x16\x07",
            "target/.DS_Store": b"junk",
            ".git/config": b"[core]",
            "target/Thumbs.db": b"junk",
        }
    )
    assert [path for path, _ in iter_archive(data)] == ["target/a.pdf", "target/b.txt"]
    assert dict(iter_archive(data))["target/a.pdf"] == PDF


@pytest.mark.parametrize("evil", ["../../etc/cron.d/job.txt", "/etc/passwd", "target/../../x.txt", "C:/Windows/x.txt",
                                  "target\\..\\..\\x.txt"])
def test_archive_with_an_unsafe_path_is_refused_before_anything_is_read(evil):
    data = make_zip({"target/ok.txt": b"fine", evil: b"owned"})
    with pytest.raises(UnsafeArchiveError) as caught:
        next(iter_archive(data))
    assert "unsafe path" in str(caught.value) and "nothing was imported" in str(caught.value)


def test_archive_zip_bomb_is_refused():
    bomb = replace_zip_member(make_zip({"target/a.txt": b"a"}), "target/zeros.txt", zeros(64 * MB))
    with pytest.raises(ZipBombError, match=r"the archive contains 'target/zeros.txt', compressed 1,0\d\d:1"):
        next(iter_archive(bomb))


def test_archive_total_size_and_member_count_limits():
    data = make_zip({f"target/{i}.txt": b"x" * 1000 for i in range(5)})
    with pytest.raises(ZipBombError, match="would expand to 4.9 KB, over the limit of 4 KB"):
        next(iter_archive(data, Limits(max_archive_bytes=4096)))
    with pytest.raises(ZipBombError, match="has 5 entries, over the limit of 4"):
        next(iter_archive(data, Limits(max_zip_members=4)))


def test_archive_member_over_the_file_limit_is_reported_or_raised():
    data = make_zip({"target/big.txt": b"x" * 5000, "target/small.txt": b"ok"})
    limits = Limits(max_file_bytes=1000)
    skipped, on_skip = skipped_collector()
    assert [p for p, _ in iter_archive(data, limits, on_skip=on_skip)] == ["target/small.txt"]
    assert skipped == [("target/big.txt", "the file is 4.9 KB, over the limit of 1,000 bytes")]
    with pytest.raises(FileTooLargeError, match="^target/big.txt: the file is 4.9 KB"):
        list(iter_archive(data, limits))


def test_archive_with_a_damaged_member():
    data = bytearray(make_zip({"target/a.txt": b"SAP ECC 6.0 " * 100}))
    start = data.index(b"target/a.txt") + len("target/a.txt")
    data[start + 5:start + 15] = b"\xff" * 10  # break the deflate stream of the first member
    skipped, on_skip = skipped_collector()
    assert list(iter_archive(bytes(data), on_skip=on_skip)) == []
    assert skipped and "cannot be decompressed" in skipped[0][1]
    with pytest.raises(CorruptFileError):
        list(iter_archive(bytes(data)))


def test_not_a_zip_and_encrypted_zip():
    with pytest.raises(CorruptFileError, match="the archive is damaged"):
        next(iter_archive(b"definitely not a zip"))
    data = bytearray(make_zip({"target/a.txt": b"secret"}))
    for signature in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" flag in both headers
        at = data.index(signature)
        flag_at = at + (6 if signature == b"PK\x03\x04" else 8)
        data[flag_at] |= 0x1
    with pytest.raises(EncryptedFileError, match="the archive is password-protected"):
        next(iter_archive(bytes(data)))


def test_utf8_names_without_the_utf8_flag_and_decomposed_accents():
    # Old tools wrote UTF-8 names without setting the UTF-8 flag (zipfile then decodes cp437), and
    # macOS writes accents decomposed (NFD). Both must come out as the name the analyst typed.
    nfd_name = "target/Re\u0301seau.txt".encode("utf-8")
    placeholder = b"target/" + b"x" * (len(nfd_name) - len(b"target/.txt")) + b".txt"
    data = make_zip({placeholder.decode(): b"MPLS network"}).replace(placeholder, nfd_name)
    assert [path for path, _ in iter_archive(data)] == ["target/R\u00e9seau.txt"]


# --- iter_dataroom -------------------------------------------------------------------------------

ROOM = {
    "deal.json": b'{"name": "Falcon"}',
    "target/contracts/msa.pdf": PDF,
    "target/notes.txt": b"Target notes",
    "Buyer/it-strategy.md": b"# Buyer strategy",
    "misc/readme.txt": b"not a side",
}


def test_dataroom_zip_yields_entity_relative_path_and_bytes():
    skipped, on_skip = skipped_collector()
    files = list(iter_dataroom(make_zip(ROOM), on_skip=on_skip))
    assert [(f.entity, f.path) for f in files] == [
        ("buyer", "it-strategy.md"),
        ("target", "contracts/msa.pdf"),
        ("target", "notes.txt"),
    ]
    assert all(isinstance(f, DataRoomFile) for f in files)
    entity, path, data = files[1]  # unpacks as a plain (entity, relative_path, bytes) tuple
    assert KNOWN_SENTENCE in "\n".join(extract_document(path, data).pages)
    assert sorted(p for p, _ in skipped) == ["deal.json", "misc/readme.txt"]


def test_dataroom_zip_wrapped_in_one_folder_is_read_from_inside_it():
    wrapped = make_zip({f"Project Falcon/{name}": data for name, data in ROOM.items()})
    assert [(f.entity, f.path) for f in iter_dataroom(wrapped)] == [
        ("buyer", "it-strategy.md"),
        ("target", "contracts/msa.pdf"),
        ("target", "notes.txt"),
    ]


def test_dataroom_without_target_or_buyer_folder():
    with pytest.raises(DataRoomLayoutError, match="no target/ or buyer/ folder"):
        list(iter_dataroom(make_zip({"docs/a.txt": b"a", "b.txt": b"b"})))


def test_dataroom_zip_file_path(tmp_path):
    path = tmp_path / "room.zip"
    path.write_bytes(make_zip(ROOM))
    assert len(list(iter_dataroom(path))) == 3


def test_dataroom_folder_skips_noise_and_never_follows_links(tmp_path):
    for name, data in ROOM.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "target" / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "target" / "__MACOSX").mkdir()
    (tmp_path / "target" / "__MACOSX" / "x.txt").write_bytes(b"junk")
    secret = tmp_path.parent / f"{tmp_path.name}-outside-secret.txt"
    secret.write_bytes(b"server password")
    os.symlink(secret, tmp_path / "target" / "link.txt")
    os.symlink(tmp_path.parent, tmp_path / "target" / "linked-dir")

    skipped, on_skip = skipped_collector()
    files = list(iter_dataroom(tmp_path, on_skip=on_skip))
    assert [(f.entity, f.path) for f in files] == [
        ("buyer", "it-strategy.md"),
        ("target", "contracts/msa.pdf"),
        ("target", "notes.txt"),
    ]
    assert ("target/link.txt", "a symbolic link, not a file") in skipped
    assert all(b"server password" not in f.data for f in files)


def test_dataroom_folder_oversized_file(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "video.txt").write_bytes(b"x" * 2000)
    with pytest.raises(FileTooLargeError, match="^target/video.txt: the file is 2 KB"):
        list(iter_dataroom(tmp_path, Limits(max_file_bytes=1000)))
    skipped, on_skip = skipped_collector()
    assert list(iter_dataroom(tmp_path, Limits(max_file_bytes=1000), on_skip=on_skip)) == []
    assert skipped == [("target/video.txt", "the file is 2 KB, over the limit of 1,000 bytes")]


def test_dataroom_missing_source(tmp_path):
    with pytest.raises(DataRoomLayoutError, match="neither a folder nor a file"):
        list(iter_dataroom(tmp_path / "nope"))
