"""Real files, good and hostile, built in the test (nothing checked in)."""
from __future__ import annotations

import io
import uuid
import zipfile
from urllib.parse import quote

from docx import Document as DocxDocument
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def pdf(*pages: str) -> bytes:
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 6, text)
    return bytes(doc.output())


def encrypted_pdf(text: str = "Confidential network diagram") -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf(text))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF header and the start of an object, then garbage: passes the magic-byte check, breaks the parser."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + bytes(range(256)) * 8 + b"\n%%EO"


def windows_exe() -> bytes:
    """A minimal PE file: MZ header pointing at a PE signature."""
    header = bytearray(b"MZ" + b"\x90" * 58 + (0x40).to_bytes(4, "little"))
    return bytes(header) + b"PE\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


def docx(*paragraphs: str) -> bytes:
    document = DocxDocument()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_zip_bomb(expanded_bytes: int = 20 * 1024 * 1024) -> bytes:
    """A real DOCX carrying one extra part of zeros that deflates about 1000:1."""
    source = zipfile.ZipFile(io.BytesIO(docx("Looks like an ordinary memo.")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        with bomb.open("word/media/padding.bin", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(expanded_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Assets" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def xlsx_with_rows(rows: int) -> bytes:
    """A one-column workbook with `rows` numbered rows, streamed into the ZIP (10^6 rows ≈ 7.5 MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in _XLSX_PARTS.items():
            package.writestr(name, xml)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="A1:A%d"/><sheetData>' % rows
            )
            for start in range(1, rows + 1, 10_000):
                sheet.write(b"".join(
                    b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(start, min(start + 10_000, rows + 1))
                ))
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body sending file names exactly as given (the test client would strip them).

    Names go in RFC 5987 `filename*` form, so NUL and right-to-left characters travel intact.
    """
    boundary = uuid.uuid4().hex
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [f"--{boundary}".encode(), f'Content-Disposition: form-data; name="{name}"'.encode(), b"", value.encode()]
    for field, filename, data in files:
        lines += [
            f"--{boundary}".encode(),
            f"Content-Disposition: form-data; name=\"{field}\"; filename*=UTF-8''{quote(filename, safe='')}".encode(),
            b"Content-Type: application/octet-stream",
            b"",
            data,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def asset_inventory_xlsx(rows: int) -> bytes:
    """A realistic CMDB export: 8 columns of hosts, OS, site, owner, purchase date and cost, and a notes sheet
    (bench/bench_extraction.py measures its extraction)."""
    import datetime as dt

    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Assets")
    sheet.append(["Asset ID", "Hostname", "OS", "Version", "Location", "Owner", "Purchased", "Cost EUR"])
    for i in range(rows):
        sheet.append([
            i, f"srv-{i:06d}", "Windows Server" if i % 3 else "Red Hat Enterprise Linux",
            "2016" if i % 3 else "8.6", "Frankfurt" if i % 2 else "Dublin", f"team-{i % 40}",
            dt.date(2015 + i % 9, 1 + i % 12, 1 + i % 28), round(1000 + i * 1.37, 2),
        ])
    workbook.create_sheet("Notes").append(["Inventory exported from ServiceNow CMDB"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
