"""Storing data-room documents: dedup by content, versions by name, pages extracted once.

`store_document` is the one home for putting a file into a deal: the upload view, the import command
and the demo all call it. Each file is its own transaction, so one bad file never stops the others.

Order of checks, cheapest first, so a hostile file costs little and a refused file stores nothing:
1. the entity and the *raw* file name (a path or control/bidi characters are refused outright);
2. empty, unsupported extension, over the size limit (from settings, see `document_limits`);
3. identical content already in the deal → duplicate, nothing stored;
4. extraction (content checked by magic bytes, zip-bomb guard, page/char/row limits):
   - inline (settings.DEALIQ_DOCUMENT_EXTRACT_INLINE, the eager default): in the request; a file
     that fails is rejected with the library's message and nothing is stored;
   - deferred (real workers): the file is stored `pending` and the caller queues the worker task,
     which calls `extract_pending_document`; a file that fails there is kept, marked `failed` with
     the readable error, and never read by a run.
"""
from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from audit.models import EventSeverity
from audit.services import record_event
from dealiq.documents import (
    SUPPORTED_EXTENSIONS,
    EmptyFileError,
    ExtractionError,
    FileTooLargeError,
    Limits,
    UnsupportedFileTypeError,
    extract_document,
    sanitize_filename,
)
from dealiq.documents.limits import format_bytes

from .models import Document, DocumentPage, DocumentStatus, Entity

logger = logging.getLogger("dealiq.documents")

# Unicode bidi embeddings, overrides and isolates (+ LRM/RLM): they reorder how a name is displayed,
# the classic way to make "invoice\u202Efdp.exe" read as "invoiceexe.pdf".
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class Outcome:
    STORED = "stored"
    DUPLICATE = "duplicate"
    NEW_VERSION = "new version"
    REJECTED = "rejected"
    SKIPPED = "skipped"  # data-room imports: not a document of either side (deal.json, a symbolic link)


@dataclass(frozen=True)
class StoreResult:
    filename: str  # the name as received (for display)
    outcome: str
    message: str = ""
    document: Document | None = None

    @property
    def stored(self) -> bool:
        """A new Document row was written (stored or new version)."""
        return self.outcome in (Outcome.STORED, Outcome.NEW_VERSION)


def document_limits() -> Limits:
    """The extraction safety limits, from settings (DEALIQ_DOCUMENT_*)."""
    return Limits(
        max_file_bytes=settings.DEALIQ_DOCUMENT_MAX_FILE_BYTES,
        max_pages=settings.DEALIQ_DOCUMENT_MAX_PAGES,
        max_chars=settings.DEALIQ_DOCUMENT_MAX_CHARS,
        max_sheet_rows=settings.DEALIQ_DOCUMENT_MAX_SHEET_ROWS,
        max_cells=settings.DEALIQ_DOCUMENT_MAX_CELLS,
        max_zip_members=settings.DEALIQ_DOCUMENT_MAX_ZIP_MEMBERS,
        max_uncompressed_bytes=settings.DEALIQ_DOCUMENT_MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.DEALIQ_DOCUMENT_MAX_COMPRESSION_RATIO,
        max_archive_bytes=settings.DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES,
    )


def display_name(name: str) -> str:
    """The received name with invisible characters spelled out (`report\\x00.txt`, `a\\u202eb`).

    What the analyst sees and what the audit log keeps: a NUL cannot even be stored in PostgreSQL, and a
    bidi override would garble the very list that reports it.
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Cf") else ch
        for ch in str(name)
    )


def unsafe_name_reason(name: str) -> str | None:
    """Why a received file name is refused, or None.

    `sanitize_filename` would make any name safe to store, but a name that carries a path, a control
    character (NUL…) or a bidi override was crafted, not typed: storing it under a quietly changed
    name would hide that from the analyst, so the file is refused and the reason shown.
    """
    if "/" in name or "\\" in name:
        return "the file name contains a folder path (/ or \\); upload the file itself under a plain name"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "the file name contains control characters (such as NUL); rename the file"
    if any(ch in _BIDI_CONTROLS for ch in name):
        return (
            "the file name contains right-to-left override characters, which can disguise its real type; "
            "rename the file"
        )
    return None


def precheck(name: str, size: int, limits: Limits) -> None:
    """Checks that need no content: empty, extension, size. Raises the library's ExtractionErrors.

    The same checks `extract_document` starts with; running them first lets a deferred upload refuse
    such files before storing anything, and lets the view skip reading an oversized upload at all.
    """
    if size == 0:
        raise EmptyFileError("the file is empty (0 bytes)")
    extension = os.path.splitext(name)[1].lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileTypeError(
            f"unsupported file type {extension or '(no extension)'}; DealIQ reads {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if size > limits.max_file_bytes:
        raise FileTooLargeError(
            f"the file is {format_bytes(size)}, over the limit of {format_bytes(limits.max_file_bytes)}"
        )


def refusal_reason(name: str, size: int, limits: Limits) -> str | None:
    """Why a file is refused before its content is even read (name, empty, extension, size), or None."""
    reason = unsafe_name_reason(name)
    if reason:
        return reason
    try:
        precheck(sanitize_filename(name), size, limits)
    except ExtractionError as exc:
        return str(exc)
    return None


def store_uploaded_file(deal, entity: str, name: str, uploaded_file, *, uploaded_by=None, limits=None) -> StoreResult:
    """store_document for a Django UploadedFile: an oversized or misnamed file is refused unread."""
    limits = limits or document_limits()
    reason = refusal_reason(name, uploaded_file.size, limits)
    if reason:
        return StoreResult(display_name(name), Outcome.REJECTED, reason)
    uploaded_file.seek(0)
    return store_document(deal, entity, name, uploaded_file.read(), uploaded_by=uploaded_by, limits=limits)


def extract_inline_default() -> bool:
    return bool(getattr(settings, "DEALIQ_DOCUMENT_EXTRACT_INLINE", True))


def store_document(
    deal,
    entity: str,
    filename: str,
    data: bytes,
    *,
    uploaded_by=None,
    extract_inline: bool | None = None,
    limits: Limits | None = None,
) -> StoreResult:
    """Put one file into `deal`. Never raises for a bad file: the result says what happened and why."""
    shown = display_name(filename)
    limits = limits or document_limits()
    inline = extract_inline_default() if extract_inline is None else extract_inline
    if entity not in Entity.values:
        return StoreResult(shown, Outcome.REJECTED, f"entity must be target or buyer, not {entity!r}")
    reason = refusal_reason(filename, len(data), limits)
    if reason:
        return StoreResult(shown, Outcome.REJECTED, reason)
    safe_name = sanitize_filename(filename)

    sha256 = hashlib.sha256(data).hexdigest()
    existing = Document.objects.filter(deal=deal, sha256=sha256).first()
    if existing is not None:
        return _duplicate(shown, existing)

    pages: list[str] = []
    content_type = ""
    if inline:
        try:
            extracted = extract_document(safe_name, data, limits=limits)
        except ExtractionError as exc:
            return StoreResult(shown, Outcome.REJECTED, str(exc))
        pages, content_type = extracted.pages, extracted.content_type

    try:
        with transaction.atomic():
            previous = (
                Document.objects.select_for_update(of=("self",))
                .filter(deal=deal, entity=entity, filename=safe_name)
                .latest_versions()
                .first()
            )
            document = Document(
                deal=deal,
                entity=entity,
                filename=safe_name,
                original_name=shown[:500],
                sha256=sha256,
                size=len(data),
                content_type=content_type,
                version=(previous.version + 1) if previous else 1,
                supersedes=previous,
                status=DocumentStatus.EXTRACTED if inline else DocumentStatus.PENDING,
                page_count=len(pages),
                uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
            )
            document.file.save(safe_name, ContentFile(data), save=False)
            document.save()
            _write_pages(document, pages)
    except IntegrityError:
        # Another upload won a race: the same bytes (unique content) or the same next version number.
        existing = Document.objects.filter(deal=deal, sha256=sha256).first()
        if existing is not None:
            return _duplicate(shown, existing)
        return StoreResult(
            shown, Outcome.REJECTED, "another version of this file was stored at the same moment; upload it again"
        )
    return _stored(shown, document, previous)


def _duplicate(shown: str, existing: Document) -> StoreResult:
    message = f"same content as {existing.filename} v{existing.version}; not stored again"
    if existing.status == DocumentStatus.FAILED:
        message += f" (that version could not be read: {existing.error})"
    return StoreResult(shown, Outcome.DUPLICATE, message, existing)


def _stored(shown: str, document: Document, previous: Document | None) -> StoreResult:
    if document.status == DocumentStatus.PENDING:
        detail = "text extraction queued"
    else:
        detail = f"{document.page_count} page{'s' if document.page_count != 1 else ''}"
    if previous:
        return StoreResult(
            shown, Outcome.NEW_VERSION, f"version {document.version}, supersedes v{previous.version}; {detail}", document
        )
    return StoreResult(shown, Outcome.STORED, detail, document)


def _write_pages(document: Document, pages: list[str]) -> None:
    DocumentPage.objects.bulk_create(
        [DocumentPage(document=document, number=i, text=text) for i, text in enumerate(pages, 1)], batch_size=500
    )


# --- deferred extraction (the worker task's service) --------------------------------------------------


def extract_pending_document(document_id: int, *, limits: Limits | None = None) -> str:
    """Extract a `pending` document's pages and mark it extracted or failed; returns its new status.

    Idempotent: a document that is no longer pending (extracted, failed, deleted) is left alone, so a
    redelivered task message does nothing. Extraction runs outside any transaction; the pages and the
    status are written in one.
    """
    document = Document.objects.filter(pk=document_id).first()
    if document is None or document.status != DocumentStatus.PENDING:
        return document.status if document else "missing"
    try:
        with document.file.open("rb") as fh:
            data = fh.read()
    except OSError as exc:
        return mark_extraction_failed(document_id, "the stored file cannot be read; upload it again", detail=repr(exc))
    try:
        extracted = extract_document(document.filename, data, limits=limits or document_limits())
    except ExtractionError as exc:
        return mark_extraction_failed(document_id, str(exc), detail=getattr(exc, "detail", None))
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document_id, status=DocumentStatus.PENDING).first()
        if locked is None:
            return Document.objects.filter(pk=document_id).values_list("status", flat=True).first() or "missing"
        DocumentPage.objects.filter(document=locked).delete()
        _write_pages(locked, extracted.pages)
        locked.status = DocumentStatus.EXTRACTED
        locked.page_count = len(extracted.pages)
        locked.content_type = extracted.content_type
        locked.error = ""
        locked.save(update_fields=["status", "page_count", "content_type", "error"])
        record_event("document.extracted", deal=locked.deal_id, obj=locked,
                     data={"document": f"{locked.filename} v{locked.version}", "pages": locked.page_count})
    return DocumentStatus.EXTRACTED


def reset_for_extraction(documents, *, actor=None) -> list[int]:
    """failed/pending → pending, pages dropped: the ids to queue again (admin "re-queue extraction")."""
    ids = list(documents.filter(status__in=(DocumentStatus.FAILED, DocumentStatus.PENDING)).values_list("pk", flat=True))
    with transaction.atomic():
        DocumentPage.objects.filter(document_id__in=ids).delete()
        Document.objects.filter(pk__in=ids).update(status=DocumentStatus.PENDING, error="", page_count=0)
        if ids:
            record_event("document.extraction_requeued", actor=actor, data={"documents": ids})
    return ids


def mark_extraction_failed(document_id: int, message: str, *, detail: str | None = None) -> str:
    """pending → failed with a readable error (the library's message; details go to the log only)."""
    if detail:
        logger.info("extraction of document %s failed: %s (%s)", document_id, message, detail)
    limit = getattr(settings, "DEALIQ_ERROR_MAX_CHARS", 2000)
    with transaction.atomic():
        failed = Document.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
            status=DocumentStatus.FAILED, error=message[:limit]
        )
        if failed:
            document = Document.objects.get(pk=document_id)
            record_event("document.extraction_failed", deal=document.deal_id, obj=document,
                         severity=EventSeverity.WARNING,
                         data={"document": f"{document.filename} v{document.version}", "error": message[:limit]})
    return DocumentStatus.FAILED


def record_upload(results: list[StoreResult], *, deal, actor=None, source: str = "upload") -> None:
    """The audit trail of one upload or data-room import: every file stored, every file refused."""
    for result in results:
        document = result.document
        if result.stored and document is not None:
            record_event(
                "document.uploaded",
                actor=actor,
                deal=deal,
                obj=document,
                data={
                    "source": source,
                    "outcome": result.outcome,
                    "filename": document.filename,
                    "original_name": document.original_name,
                    "entity": document.entity,
                    "version": document.version,
                    "sha256": document.sha256,
                    "status": document.status,
                },
            )
        elif result.outcome == Outcome.REJECTED:
            record_event(
                "document.rejected",
                actor=actor,
                deal=deal,
                severity=EventSeverity.WARNING,
                data={"source": source, "filename": result.filename[:500], "reason": result.message},
            )
