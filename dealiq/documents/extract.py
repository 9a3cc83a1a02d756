"""`extract_document`: bytes in, quotable page texts out, or an ExtractionError saying why not.

The steps, cheapest first, so a hostile or broken file costs as little as possible:
1. the extension names the expected format (unsupported extensions stop here);
2. empty and oversized files are refused before anything is parsed;
3. the content must *be* that format (magic bytes; for DOCX/XLSX the ZIP's parts, after the
   zip-bomb check of its central directory; for text, bytes that decode);
4. the format's reader extracts pages under the remaining limits.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from . import sniff
from .errors import (
    ContentMismatchError,
    EmptyFileError,
    EncryptedFileError,
    ExtractionError,
    FileTooLargeError,
    UnsupportedFileTypeError,
)
from .limits import DEFAULT_LIMITS, Limits, format_bytes
from .pages import PAGE_CHARS, split_blocks
from .pdf import read_pdf
from .text import read_csv, read_markdown, read_text
from .word import read_docx
from .workbook import read_xlsx
from .zipguard import ooxml_kind, open_zip

__all__ = [
    "PAGE_CHARS",
    "SUPPORTED_EXTENSIONS",
    "ExtractedDocument",
    "ExtractionError",
    "extract_document",
    "split_blocks",
]


@dataclass
class ExtractedDocument:
    content_type: str
    pages: list[str] = field(default_factory=list)  # page 1 is pages[0]
    warnings: list[str] = field(default_factory=list)  # worth telling the analyst; not failures


Reader = Callable[[bytes, Limits], tuple[list[str], list[str]]]  # (pages, warnings)


@dataclass(frozen=True)
class _Format:
    kind: str  # what sniff/zipguard must find: "pdf", "docx", "xlsx", or "text"
    noun: str  # "the <noun> is password-protected"
    label: str  # "the content is ..., not <label>"
    content_type: str
    read: Reader


_FORMATS = {
    ".pdf": _Format("pdf", "PDF", "a PDF", "application/pdf", read_pdf),
    ".docx": _Format(
        "docx",
        "Word document",
        "a Word document (.docx)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        read_docx,
    ),
    ".xlsx": _Format(
        "xlsx",
        "Excel workbook",
        "an Excel workbook (.xlsx)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        read_xlsx,
    ),
    ".csv": _Format("text", "CSV file", "a CSV file", "text/csv", read_csv),
    ".txt": _Format("text", "text file", "a text file", "text/plain", read_text),
    ".md": _Format("text", "Markdown file", "a Markdown file", "text/markdown", read_markdown),
}
SUPPORTED_EXTENSIONS = tuple(_FORMATS)


def extract_document(filename: str, data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> ExtractedDocument:
    """Pages of text of the file `filename` whose content is `data`; raises ExtractionError."""
    data = bytes(data)
    if not data:
        raise EmptyFileError("the file is empty (0 bytes)")
    extension = os.path.splitext(filename)[1].lower()
    fmt = _FORMATS.get(extension)
    if fmt is None:
        raise UnsupportedFileTypeError(
            f"unsupported file type {extension or '(no extension)'}; DealIQ reads "
            + ", ".join(SUPPORTED_EXTENSIONS)
        )
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(
            f"the file is {format_bytes(len(data))}, over the limit of {format_bytes(limits.max_file_bytes)}"
        )
    _check_content(fmt, data, limits)
    pages, warnings = fmt.read(data, limits)
    return ExtractedDocument(fmt.content_type, pages, warnings)


def _check_content(fmt: _Format, data: bytes, limits: Limits) -> None:
    """Refuse content that is not what the extension claims, naming what it is when we can tell."""
    kind = sniff.identify(data)
    if fmt.kind == "text":
        if kind != sniff.UNKNOWN:  # any known binary signature; undecodable bytes fail in decode_text
            raise _mismatch(kind, fmt)
        return
    if fmt.kind == "pdf":
        if kind != sniff.PDF:
            raise _mismatch(kind, fmt)
        return
    # DOCX and XLSX are ZIP packages; a password-protected one is an OLE file instead.
    if kind == sniff.OLE and sniff.is_encrypted_ooxml(data):
        raise EncryptedFileError(f"the {fmt.noun} is password-protected")
    if kind != sniff.ZIP:
        raise _mismatch(kind, fmt)
    with open_zip(data, limits, what=fmt.noun, max_total_bytes=limits.max_uncompressed_bytes) as archive:
        package = ooxml_kind(archive)
    if package != fmt.kind:
        raise _mismatch(package, fmt)


def _mismatch(kind: str, fmt: _Format) -> ContentMismatchError:
    if kind == sniff.UNKNOWN:
        return ContentMismatchError(f"the content is not {fmt.label}")
    return ContentMismatchError(f"the content is {sniff.label(kind)}, not {fmt.label}")
