"""PDF text, one page per PDF page, via pypdf.

Page numbers are the PDF's own, so a blank or image-only page is kept as an empty page rather than
dropped: page 7 of the stored document is page 7 of the file the analyst opens.
"""
from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from .errors import CorruptFileError, EncryptedFileError, NoTextError
from .limits import Limits
from .normalize import normalize_text
from .pages import PageCollector

NOUN = "PDF"
_MAX_LISTED_PAGES = 10


def read_pdf(data: bytes, limits: Limits) -> tuple[list[str], list[str]]:
    reader = _open(data)
    _unlock(reader)
    collector = PageCollector(limits, noun=NOUN)
    try:
        pdf_pages = reader.pages
        page_count = len(pdf_pages)
    except Exception as exc:  # pypdf raises assorted errors on a broken page tree
        raise CorruptFileError("the PDF is damaged: its page list cannot be read", detail=repr(exc)) from None
    collector.check_page_count(page_count)

    blank: list[int] = []
    unreadable: list[int] = []
    for number in range(1, page_count + 1):
        try:
            text = normalize_text(pdf_pages[number - 1].extract_text() or "")
        except DependencyError as exc:  # AES-128 PDFs pass decrypt("") and fail here, object by object
            raise _aes_unsupported(exc) from None
        except Exception:  # one bad content stream should not cost the other pages
            text = ""
            unreadable.append(number)
        if not text:
            blank.append(number)
        collector.add(text)

    if len(blank) == page_count:
        if unreadable:
            raise CorruptFileError("the PDF is damaged: no page's text could be read")
        raise NoTextError("no text could be extracted from the PDF: it looks scanned (images only) and needs OCR first")
    warnings = []
    if unreadable:
        warnings.append(f"text could not be read on {_page_list(unreadable)} (kept as empty pages)")
    failed = set(unreadable)
    silent_blank = [n for n in blank if n not in failed]
    if silent_blank:
        warnings.append(f"no text on {_page_list(silent_blank)} (blank, or images that need OCR)")
    return collector.pages, warnings


def _open(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data))
    except Exception as exc:  # PdfReadError, but also ValueError/KeyError/... from malformed objects
        raise CorruptFileError("the PDF is damaged and cannot be read", detail=repr(exc)) from None


def _unlock(reader: PdfReader) -> None:
    """Open a PDF that is encrypted only against editing (empty user password); refuse a locked one."""
    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("")
    except DependencyError as exc:
        raise _aes_unsupported(exc) from None
    except Exception as exc:
        raise CorruptFileError("the PDF's encryption data is damaged", detail=repr(exc)) from None
    if unlocked == PasswordType.NOT_DECRYPTED:
        raise EncryptedFileError("the PDF is password-protected")


def _aes_unsupported(exc: Exception) -> EncryptedFileError:
    # pypdf decrypts AES only with the optional `cryptography` (or pycryptodome) package installed.
    return EncryptedFileError(
        "the PDF is encrypted (AES) and cannot be opened here; upload an unencrypted copy", detail=str(exc)
    )


def _page_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_MAX_LISTED_PAGES])
    more = f" and {len(numbers) - _MAX_LISTED_PAGES} more" if len(numbers) > _MAX_LISTED_PAGES else ""
    return f"page{'s' if len(numbers) > 1 else ''} {shown}{more}"

