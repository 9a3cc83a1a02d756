"""Why a document cannot be read, in words an analyst can act on.

Every failure of the extraction library is an `ExtractionError` subclass. `str(error)` is shown to the
analyst verbatim, so messages are short, lower-case sentences that say what is wrong with *their file*
("the PDF is password-protected"), never a library traceback. The library's own message, when there
is one, is kept in `detail` for logs. `code` is a stable machine-readable tag for metrics and tests.
"""
from __future__ import annotations


class ExtractionError(ValueError):
    """A file cannot be read; the message is shown to the analyst as is."""

    code = "unreadable"

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.detail = detail


class EmptyFileError(ExtractionError):
    code = "empty"


class UnsupportedFileTypeError(ExtractionError):
    """The extension is not one DealIQ reads."""

    code = "unsupported_type"


class ContentMismatchError(ExtractionError):
    """The bytes are not what the extension claims (an .exe renamed .pdf, binary named .txt)."""

    code = "content_mismatch"


class EncryptedFileError(ExtractionError):
    code = "encrypted"


class CorruptFileError(ExtractionError):
    """The file has the right type but its structure is broken."""

    code = "corrupt"


class NoTextError(ExtractionError):
    """The file is valid but holds no text (a scanned PDF, an empty workbook)."""

    code = "no_text"


class UnsafeArchiveError(ExtractionError):
    """An archive member would escape its folder (absolute path, `..`)."""

    code = "unsafe_archive"


class DataRoomLayoutError(ExtractionError):
    """A data room without the `target/` and `buyer/` folders."""

    code = "dataroom_layout"


class LimitExceededError(ExtractionError):
    """A safety limit (see `Limits`) was reached; the file may be fine but is too big to process."""

    code = "limit"


class FileTooLargeError(LimitExceededError):
    code = "too_large"


class TooManyPagesError(LimitExceededError):
    code = "too_many_pages"


class TooMuchTextError(LimitExceededError):
    code = "too_much_text"


class SpreadsheetTooLargeError(LimitExceededError):
    code = "spreadsheet_too_large"


class ZipBombError(LimitExceededError):
    """A ZIP container (DOCX, XLSX, data-room archive) would expand beyond the limits."""

    code = "zip_bomb"
