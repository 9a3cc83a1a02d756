"""What a file really is, from its first bytes: the extension is only a claim.

`identify(data)` names the container by its magic number. ZIP-based Office files are told apart later,
from the parts listed in the ZIP's central directory (see `zipguard.ooxml_kind`), because every ZIP
starts with the same `PK\\x03\\x04`.
"""
from __future__ import annotations

# Kinds this module can name; LABELS phrases them for "the content is <label>, not <expected>".
PDF = "pdf"
ZIP = "zip"
OLE = "ole"  # legacy .doc/.xls, and also password-protected .docx/.xlsx (encrypted OOXML lives in OLE)
WINDOWS_EXE = "exe"
UNKNOWN = "unknown"  # no known magic: maybe text, maybe binary without a signature

LABELS = {
    PDF: "a PDF",
    ZIP: "a ZIP archive",
    OLE: "a legacy Office (97-2003) file",
    WINDOWS_EXE: "a Windows executable",
    "elf": "a Linux executable",
    "macho": "a macOS executable",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "bmp": "a BMP image",
    "gzip": "a gzip archive",
    "7z": "a 7-Zip archive",
    "rar": "a RAR archive",
    "rtf": "an RTF document",
    "docx": "a Word document (.docx)",
    "xlsx": "an Excel workbook (.xlsx)",
    "pptx": "a PowerPoint presentation (.pptx)",
    "opendocument": "an OpenDocument file",
    UNKNOWN: "an unrecognised binary file",
}

_MAGIC = (
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # an empty ZIP is only its end-of-central-directory record
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"\x7fELF", "elf"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xca\xfe\xba\xbe", "macho"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"{\\rtf", "rtf"),
)
_PDF_HEADER_WINDOW = 1024  # the PDF spec tolerates junk before %PDF- in the first kilobyte


def identify(data: bytes) -> str:
    """The kind of container `data` is, or UNKNOWN."""
    if _is_windows_executable(data):
        return WINDOWS_EXE
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return PDF
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"BM") and len(data) > 14 and int.from_bytes(data[2:6], "little") == len(data):
        return "bmp"
    return UNKNOWN


def label(kind: str) -> str:
    return LABELS.get(kind, LABELS[UNKNOWN])


def _is_windows_executable(data: bytes) -> bool:
    """`MZ` alone is too weak (a text file may start with "MZ"); a PE file points to a `PE\\0\\0` header."""
    if not data.startswith(b"MZ") or len(data) < 0x40:
        return False
    pe_offset = int.from_bytes(data[0x3C:0x40], "little")
    if data[pe_offset:pe_offset + 4] == b"PE\x00\x00":
        return True
    return b"This program cannot be run in DOS mode" in data[:1024]


def is_encrypted_ooxml(data: bytes) -> bool:
    """Password-protected DOCX/XLSX files are OLE containers holding an `EncryptionInfo` stream.

    The stream name sits in the OLE directory as UTF-16LE; finding it is enough to tell an encrypted
    Office file from a legacy .doc/.xls without an OLE parser.
    """
    return data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and "EncryptionInfo".encode("utf-16-le") in data
