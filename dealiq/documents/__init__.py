"""Document text extraction: bytes in, quotable page texts out. No Django.

    extract_document(filename, data, *, limits=Limits()) -> ExtractedDocument(content_type, pages, warnings)

`pages` are 1-based in order (page 1 is pages[0]); every failure is an ExtractionError subclass whose
message is shown to the analyst verbatim. `sanitize_filename` makes an uploaded name safe to store;
`iter_archive` and `iter_dataroom` read a data room (a ZIP or a folder with target/ and buyer/).
See docs/documents.md for formats, pages, limits and errors.
"""
from .archive import iter_archive
from .dataroom import DataRoomFile, iter_dataroom
from .errors import (
    ContentMismatchError,
    CorruptFileError,
    DataRoomLayoutError,
    EmptyFileError,
    EncryptedFileError,
    ExtractionError,
    FileTooLargeError,
    LimitExceededError,
    NoTextError,
    SpreadsheetTooLargeError,
    TooManyPagesError,
    TooMuchTextError,
    UnsafeArchiveError,
    UnsupportedFileTypeError,
    ZipBombError,
)
from .extract import SUPPORTED_EXTENSIONS, ExtractedDocument, extract_document
from .filenames import sanitize_filename
from .limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_EXTENSIONS",
    "ContentMismatchError",
    "CorruptFileError",
    "DataRoomFile",
    "DataRoomLayoutError",
    "EmptyFileError",
    "EncryptedFileError",
    "ExtractedDocument",
    "ExtractionError",
    "FileTooLargeError",
    "LimitExceededError",
    "Limits",
    "NoTextError",
    "SpreadsheetTooLargeError",
    "TooManyPagesError",
    "TooMuchTextError",
    "UnsafeArchiveError",
    "UnsupportedFileTypeError",
    "ZipBombError",
    "extract_document",
    "iter_archive",
    "iter_dataroom",
    "sanitize_filename",
]
