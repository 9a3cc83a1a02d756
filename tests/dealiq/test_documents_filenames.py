"""sanitize_filename: safe to store and version, never empty, never lying about its extension."""
from __future__ import annotations

import pytest

from dealiq.documents import sanitize_filename


@pytest.mark.parametrize(
    "name, safe",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\drivers\\etc\\hosts.txt", "hosts.txt"),
        ("C:\\Users\\analyst\\Desktop\\IT overview.docx", "IT overview.docx"),
        ("/etc/passwd", "passwd"),
        ("report\x00.pdf.exe", "report.pdf.exe"),  # a NUL cannot cut the real extension off
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # displayed as "invoiceexe.pdf" before
        ("budget\u2066\u200b 2024\u2069.xlsx", "budget 2024.xlsx"),
        ("line\nbreak\ttab.txt", "linebreaktab.txt"),
        ('Q3 <draft>: "final"?.xlsx', "Q3 _draft__ _final__.xlsx"),
        ("  .hidden report.pdf  ", "hidden report.pdf"),
        ("trailing dots...", "trailing dots"),
        ("CON.txt", "_CON.txt"),
        ("Übersicht Rechenzentrum.pdf", "Übersicht Rechenzentrum.pdf"),
        (".pdf", "unnamed.pdf"),
        ("", "unnamed"),
        ("..", "unnamed"),
        ("\x00\u202e", "unnamed"),
        ("folder/", "unnamed"),
    ],
)
def test_sanitize_filename(name, safe):
    assert sanitize_filename(name) == safe


def test_long_names_are_capped_and_keep_their_extension():
    safe = sanitize_filename("a" * 500 + ".docx")
    assert len(safe) == 150 and safe.endswith("aaa.docx")


def test_long_multibyte_names_fit_255_utf8_bytes():
    safe = sanitize_filename("데이터" * 200 + ".pdf", max_length=250)
    assert len(safe.encode("utf-8")) <= 255 and safe.endswith(".pdf")


def test_decomposed_accents_are_composed():
    assert sanitize_filename("Re\u0301seau.pdf") == "R\u00e9seau.pdf"
