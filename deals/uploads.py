"""Keeping the file name a client actually sent.

Django's multipart parser quietly cuts an uploaded name to its last path component and drops
non-printable characters, so `../../etc/passwd.txt` arrives as `passwd.txt` and a name with a NUL or a
right-to-left override arrives cleaned. That is safe, but it hides a crafted name from the analyst and
loses the name to display. `OriginalNameUploadHandler`, installed first for the upload view, parses
the request with Django's own parser (and Django's own handlers for the bytes) and tags each
UploadedFile with `original_name`, the name as sent; `store_document` judges and keeps that.
"""
from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser

from dealiq.documents.limits import format_bytes


class _RecordingParser(MultiPartParser):
    """Django's parser, remembering the raw name of the file part being parsed."""

    last_raw_name = ""

    def sanitize_file_name(self, file_name):
        self.last_raw_name = file_name
        # A name Django would drop altogether ("..", "/") still names a file part: keep the part so
        # the upload can report it rather than lose it silently.
        return super().sanitize_file_name(file_name) or "unnamed"


class _RawNameRecorder(FileUploadHandler):
    """First of the inner handlers: notes (field, raw name) for every file part, in order."""

    def __init__(self, parser_ref, request=None):
        super().__init__(request)
        self.parser_ref = parser_ref
        self.names: dict[str, list[str]] = {}

    def new_file(self, field_name, *args, **kwargs):
        self.names.setdefault(field_name, []).append(self.parser_ref().last_raw_name)

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # pass the bytes on to the handler that stores them

    def file_complete(self, file_size):
        return None


class OriginalNameUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        inner = [h for h in self.request.upload_handlers if h is not self]
        holder: dict[str, _RecordingParser] = {}
        recorder = _RawNameRecorder(lambda: holder["parser"], self.request)
        parser = _RecordingParser(META, input_data, [recorder, *inner], encoding)
        holder["parser"] = parser
        post, files = parser.parse()
        for field_name, raw_names in recorder.names.items():
            uploaded = files.getlist(field_name)
            if len(uploaded) != len(raw_names):
                continue  # a handler dropped a part: tag nothing rather than mismatch names
            for file, raw_name in zip(uploaded, raw_names):
                file.original_name = raw_name
        return post, files

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - parsing is delegated above
        return raw_data

    def file_complete(self, file_size):  # pragma: no cover
        return None


class OversizeUpload(SimpleUploadedFile):
    """Stands in for a file that passed its size limit: no content kept, `size` = the bytes received,
    so the usual size check refuses it with its reason and the other files of the upload go on."""

    def __init__(self, name: str, received: int):
        super().__init__(name, b"")
        self.size = received


class SizeLimitUploadHandler(FileUploadHandler):
    """Enforces the limits while the body streams in, before the storing handlers see the bytes:
    - a file past its limit (DEALIQ_DOCUMENT_MAX_FILE_BYTES, DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES for a
      .zip) is not passed on any more — nothing beyond the limit is spooled — and ends as an
      `OversizeUpload` the page refuses with its reason;
    - a request past DEALIQ_UPLOAD_MAX_REQUEST_BYTES (declared or counted) stops being read at once
      (`request.upload_refused` says why; the web server in front should refuse it first)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.declared = content_length or 0
        self.total = 0
        return None

    def _refuse(self, reason: str):
        self.request.upload_refused = reason
        raise StopUpload(connection_reset=True)

    def new_file(self, field_name, file_name, *args, **kwargs):
        request_limit = settings.DEALIQ_UPLOAD_MAX_REQUEST_BYTES
        if getattr(self, "declared", 0) > request_limit:
            self._refuse(f"the upload is {format_bytes(self.declared)}, over the limit of {format_bytes(request_limit)}")
        self.file_name = file_name or ""
        self.file_limit = (
            settings.DEALIQ_DOCUMENT_MAX_ARCHIVE_BYTES
            if self.file_name.lower().endswith(".zip")
            else settings.DEALIQ_DOCUMENT_MAX_FILE_BYTES
        )
        self.file_bytes = 0

    def receive_data_chunk(self, raw_data, start):
        self.file_bytes += len(raw_data)
        self.total = getattr(self, "total", 0) + len(raw_data)
        if self.total > settings.DEALIQ_UPLOAD_MAX_REQUEST_BYTES:
            self._refuse(f"the upload is over the limit of {format_bytes(settings.DEALIQ_UPLOAD_MAX_REQUEST_BYTES)}")
        if self.file_bytes > self.file_limit:
            return None  # past the limit: the storing handlers never see these bytes
        return raw_data

    def file_complete(self, file_size):
        if self.file_bytes > self.file_limit:
            return OversizeUpload(self.file_name, self.file_bytes)
        return None


def install_original_name_handler(request) -> None:
    """Call before anything reads request.POST/FILES (so: in a csrf_exempt view, before csrf_protect).
    The size limit comes first among the handlers that see the bytes: a file over it is never stored."""
    request.upload_handlers = [
        OriginalNameUploadHandler(request), SizeLimitUploadHandler(request), *request.upload_handlers
    ]


def original_name(uploaded_file) -> str:
    return getattr(uploaded_file, "original_name", None) or uploaded_file.name
