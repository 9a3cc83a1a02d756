"""Uploaded file names made safe to store, version and show. The caller keeps the original for display.

A name from a browser or a ZIP is attacker-controlled: it may climb directories (`../../etc/passwd`),
hide its real extension behind a right-to-left override (`invoice\\u202Efdp.exe` displays as
"invoiceexe.pdf"), cut itself short with a NUL, or be a Windows device name. The sanitised name is
only the last path component, without control, format (bidi, zero-width) or reserved characters,
capped in length with the extension kept, and never empty.
"""
from __future__ import annotations

import re
import unicodedata

DEFAULT_MAX_LENGTH = 150  # leaves room in Document.filename (255) and the storage path (500)
MAX_UTF8_BYTES = 255  # what most file systems allow for one name
FALLBACK_NAME = "unnamed"
_MAX_EXTENSION = 16  # longer "extensions" are part of the name and may be truncated

_RESERVED_CHARS = re.compile(r'[<>:"|?*]')
_WHITESPACE = re.compile(r"\s+")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def sanitize_filename(name: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    name = unicodedata.normalize("NFC", str(name or ""))
    # Drop invisible characters *before* splitting, so "a\u202e/../b" cannot smuggle anything past.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last component: no directories, no `..`
    name = _RESERVED_CHARS.sub("_", name)
    name = _WHITESPACE.sub(" ", name).strip(" ")
    hidden = name.startswith(".")
    name = name.strip(" .")  # leading dots hide files, trailing dots and spaces vanish on Windows
    if not name:
        return FALLBACK_NAME
    if hidden and "." not in name:
        name = f"{FALLBACK_NAME}.{name}"  # ".pdf" keeps its extension rather than becoming "pdf"
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > _MAX_EXTENSION:
        stem, extension = name, ""
    if stem.split(".")[0].strip().upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    return _truncate(stem, f".{extension}" if extension else "", max_length)


def _truncate(stem: str, suffix: str, max_length: int) -> str:
    """Shorten the stem, never the extension, to `max_length` characters and MAX_UTF8_BYTES bytes."""
    stem = stem[: max(1, max_length - len(suffix))]
    while stem and len((stem + suffix).encode("utf-8")) > MAX_UTF8_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or FALLBACK_NAME
    return stem + suffix
