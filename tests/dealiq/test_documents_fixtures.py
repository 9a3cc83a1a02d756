"""Builders for the document-extraction tests: every fixture is generated, no binary blobs committed.

Kept in a test_* module so it belongs to the document tests; the tests at the bottom check that the
builders themselves produce what the other modules rely on.
"""
from __future__ import annotations

import io
import struct
import zipfile

import docx
import openpyxl
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

KNOWN_SENTENCE = "The ERP platform is SAP ECC 6.0 hosted in the Frankfurt data centre."
KNOWN_PAGE = 3


def make_pdf(pages: int = 5, known_page: int = KNOWN_PAGE, sentence: str = KNOWN_SENTENCE) -> bytes:
    """A multi-page PDF whose page `known_page` carries `sentence`; every page says its number."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for number in range(1, pages + 1):
        pdf.add_page()
        marker = f"Page marker {number}. Infrastructure overview section {number}."
        pdf.multi_cell(0, 6, marker, new_x="LMARGIN", new_y="NEXT")
        if number == known_page:
            pdf.multi_cell(0, 6, sentence, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_blank_pdf(pages: int = 2) -> bytes:
    """Pages without text, as a scanner produces (minus the image)."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
    return bytes(pdf.output())


def encrypt_pdf(
    data: bytes, *, user_password: str = "s3cret", owner_password: str = "owner", algorithm: str = "RC4-128"
) -> bytes:
    """Encrypt with pypdf (RC4-128 by default; "AES-256" uses the `cryptography` package)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str] | None = None, table: list[list[str]] | None = None, after: str = "") -> bytes:
    document = docx.Document()
    document.add_heading("IT due diligence questionnaire", level=1)
    for text in paragraphs or ["Introduction to the target's IT landscape.", KNOWN_SENTENCE]:
        document.add_paragraph(text)
    rows = table or [
        ["System", "Version", "Owner"],
        ["Salesforce", "Enterprise", "Sales Ops"],
        ["Active Directory", "2016", "IT"],
    ]
    grid = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    document.add_paragraph(after or "Closing remarks after the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheets = sheets or {
        "Summary": [["Deal", "Project Falcon"], ["Prepared", "2024-05-01"]],
        "Servers": [
            ["Hostname", "OS", "Version", "Role"],
            ["srv-app-01", "Windows Server", 2012, "ERP application"],
            ["srv-db-01", "Oracle Linux", 7.9, "ERP database"],
        ],
    }
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def replace_zip_member(data: bytes, name: str, payload_chunks) -> bytes:
    """Copy the ZIP `data` with member `name` replaced (or added) by streamed chunks: memory stays small."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    infos = source.infolist()
    if name not in source.namelist():
        infos.append(zipfile.ZipInfo(name))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            if info.filename == name:
                replacement = zipfile.ZipInfo(name, date_time=info.date_time)
                replacement.compress_type = zipfile.ZIP_DEFLATED  # ZipInfo defaults to storing uncompressed
                with target.open(replacement, "w", force_zip64=True) as stream:
                    for chunk in payload_chunks:
                        stream.write(chunk)
            else:
                target.writestr(info, source.read(info))
    return out.getvalue()


def zeros(total_bytes: int, chunk: int = 1 << 20):
    block = bytes(chunk)
    for _ in range(total_bytes // chunk):
        yield block


def make_windows_exe() -> bytes:
    """The smallest thing that looks like a PE file: MZ header pointing at a PE signature."""
    header = bytearray(0x80)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = struct.pack("<I", 0x40)
    header[0x40:0x44] = b"PE\x00\x00"
    header[0x4E:0x4E + 39] = b"This program cannot be run in DOS mode."
    return bytes(header) + bytes(512)


# --- the builders themselves -------------------------------------------------------------------


def test_pdf_builder_puts_the_sentence_on_the_known_page():
    reader = PdfReader(io.BytesIO(make_pdf()))
    assert len(reader.pages) == 5
    assert "SAP ECC 6.0" in reader.pages[KNOWN_PAGE - 1].extract_text()


def test_encrypted_pdf_needs_its_password():
    reader = PdfReader(io.BytesIO(encrypt_pdf(make_pdf(pages=1))))
    assert reader.is_encrypted
    assert not reader.decrypt("")


def test_windows_exe_builder_has_a_pe_signature():
    data = make_windows_exe()
    assert data[:2] == b"MZ" and data[0x40:0x44] == b"PE\x00\x00"
