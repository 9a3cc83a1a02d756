"""Decoding text files whose encoding nobody wrote down.

Order of trust: a byte-order mark, then strict UTF-8 (most files today), then UTF-16 without a BOM
(recognisable by its NUL pattern), then charset-normalizer. For single-byte text
charset-normalizer often prefers a lookalike code page (cp775 or cp1125 for French, mac_cyrillic for
Russian) that garbles a letter or two, while the files in a data room come from Windows machines. So
when a Windows code page decodes the bytes about as plausibly as charset-normalizer's pick, the
Windows code page wins: cp1252 (Western European) first, else the most coherent other cp125x.
Known blind spot: cp1254 (Turkish) text is read as cp1252, the two being statistically alike.
"""
from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from .errors import ContentMismatchError

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN = "cp1252"
_WINDOWS_CODE_PAGES = {"cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258"}
_CHAOS_MARGIN = 0.1  # how much messier a Windows code page may look than charset-normalizer's pick and still win
_MAX_CONTROL_SHARE = 0.05  # more control characters than this and the "text" is binary data


def decode_text(data: bytes, *, what: str = "a text file") -> tuple[str, str]:
    """Return (text, encoding name). Raises ContentMismatchError if the bytes are not text."""
    text, encoding = _decode(data, what)
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise ContentMismatchError(f"the content is binary data, not {what}")
    return text, encoding


def _decode(data: bytes, what: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: let detection decide
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _bomless_utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise ContentMismatchError(f"the content is binary data or in an unknown text encoding, not {what}")
    windows = _plausible_windows_code_page(data, matches, best.chaos)
    if windows:
        return data.decode(windows), windows
    return str(best), best.encoding


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 of mostly-Latin text has a NUL in every other byte; say which half holds them."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 8:
        return None
    even_nuls = sample[0::2].count(0) / half
    odd_nuls = sample[1::2].count(0) / half
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _plausible_windows_code_page(data: bytes, matches, best_chaos: float) -> str | None:
    candidates = [
        (encoding == _WESTERN, match.coherence, encoding)
        for match in matches
        if match.chaos <= best_chaos + _CHAOS_MARGIN
        for encoding in match.could_be_from_charset
        if encoding in _WINDOWS_CODE_PAGES
    ]
    for _, _, encoding in sorted(candidates, reverse=True):  # cp1252 first, then by coherence
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _control_share(text: str) -> float:
    sample = text[:100_000]
    if not sample:
        return 0.0
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7F <= ord(ch) < 0xA0)
    return controls / len(sample)
