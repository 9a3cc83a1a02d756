"""Extraction per format: the known sentence comes back on the known page, text stays quotable."""
from __future__ import annotations

import datetime as dt

import pytest

from dealiq.documents import ExtractedDocument, extract_document
from dealiq.documents.extract import PAGE_CHARS, split_blocks
from dealiq.documents.normalize import normalize_text
from dealiq.documents.tables import format_cell

from .test_documents_fixtures import (
    KNOWN_PAGE,
    KNOWN_SENTENCE,
    encrypt_pdf,
    make_blank_pdf,
    make_docx,
    make_pdf,
    make_xlsx,
)


def page_of(doc: ExtractedDocument, needle: str) -> list[int]:
    return [number for number, text in enumerate(doc.pages, 1) if needle in text]


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_has_one_page_per_pdf_page_and_the_sentence_on_its_page():
    doc = extract_document("report.pdf", make_pdf(pages=5, known_page=3))
    assert doc.content_type == "application/pdf"
    assert len(doc.pages) == 5
    assert page_of(doc, KNOWN_SENTENCE) == [KNOWN_PAGE]
    assert all(f"Page marker {n}." in doc.pages[n - 1] for n in range(1, 6))
    assert doc.warnings == []


def test_pdf_blank_pages_keep_their_numbers_and_are_reported():
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in (make_pdf(pages=1, known_page=1), make_blank_pdf(1), make_pdf(pages=1, known_page=99)):
        writer.append(PdfReader(io.BytesIO(source)))
    out = io.BytesIO()
    writer.write(out)

    doc = extract_document("mixed.pdf", out.getvalue())
    assert len(doc.pages) == 3
    assert page_of(doc, KNOWN_SENTENCE) == [1]
    assert doc.pages[1] == ""
    assert doc.warnings == ["no text on page 2 (blank, or images that need OCR)"]


def test_pdf_encrypted_only_against_editing_is_read():
    # An empty user password: anyone may open it, only the owner may edit. Common in data rooms.
    doc = extract_document("locked-for-editing.pdf", encrypt_pdf(make_pdf(), user_password=""))
    assert page_of(doc, KNOWN_SENTENCE) == [KNOWN_PAGE]


# --- DOCX ----------------------------------------------------------------------------------------


def test_docx_reads_paragraphs_and_tables_in_document_order():
    doc = extract_document("questionnaire.docx", make_docx())
    assert doc.content_type.endswith("wordprocessingml.document")
    text = doc.pages[0]
    assert KNOWN_SENTENCE in text
    assert "Salesforce | Enterprise | Sales Ops" in text
    order = [text.index(s) for s in (KNOWN_SENTENCE, "System | Version | Owner", "Closing remarks after the table.")]
    assert order == sorted(order)


def test_docx_pages_are_blocks_of_about_3000_chars_cut_between_paragraphs():
    paragraphs = [f"Paragraph {i}: " + "the network has redundant firewalls. " * 10 for i in range(60)]
    paragraphs[41] = KNOWN_SENTENCE
    doc = extract_document("long.docx", make_docx(paragraphs=paragraphs))
    assert len(doc.pages) > 5
    assert all(len(page) <= PAGE_CHARS for page in doc.pages)
    for page in doc.pages:  # never a paragraph cut in two
        for chunk in page.split("\n\n"):
            assert chunk.startswith(("Paragraph", "IT due", "The ERP", "System", "Salesforce", "Active", "Closing"))
    (known,) = page_of(doc, KNOWN_SENTENCE)
    assert "Paragraph 40:" in doc.pages[known - 1] or "Paragraph 42:" in doc.pages[known - 1]


def test_docx_merged_table_cells_are_read_once():
    import io

    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Data centres"
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "Frankfurt", "Tier III", "leased"
    out = io.BytesIO()
    document.save(out)
    text = extract_document("dc.docx", out.getvalue()).pages[0]
    assert text.count("Data centres") == 1
    assert "Frankfurt | Tier III | leased" in text


# --- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_has_one_page_per_sheet_headed_by_its_name_with_header_value_rows():
    doc = extract_document("inventory.xlsx", make_xlsx())
    assert doc.content_type.endswith("spreadsheetml.sheet")
    assert len(doc.pages) == 2
    assert doc.pages[1].startswith("Sheet: Servers\n")
    known_row = "Hostname: srv-db-01; OS: Oracle Linux; Version: 7.9; Role: ERP database"
    assert page_of(doc, known_row) == [2]
    assert "Version: 2012;" in doc.pages[1]  # an integral number reads as Excel shows it, not 2012.0


def test_xlsx_header_is_the_first_non_empty_row_and_gaps_are_skipped():
    rows = [[None, None], [None, None], ["Application", "Vendor", None], [None, None], ["Workday", None, "HR"]]
    doc = extract_document("apps.xlsx", make_xlsx({"Apps": rows}))
    assert doc.pages == ["Sheet: Apps\n\nApplication: Workday; Column C: HR"]


def test_xlsx_empty_sheet_keeps_its_page_and_is_reported():
    doc = extract_document("book.xlsx", make_xlsx({"Notes": [], "Data": [["Key", "Value"], ["ERP", "SAP"]]}))
    assert doc.pages == ["Sheet: Notes", "Sheet: Data\n\nKey: ERP; Value: SAP"]
    assert doc.warnings == ["empty sheet: Notes"]


def test_xlsx_single_row_sheet_keeps_its_text():
    doc = extract_document("title.xlsx", make_xlsx({"Cover": [["Project Falcon", "IT carve-out"]]}))
    assert doc.pages == ["Sheet: Cover\n\nProject Falcon; IT carve-out"]


@pytest.mark.parametrize(
    "value, shown",
    [
        (None, ""),
        (True, "TRUE"),
        (2019.0, "2019"),
        (0.1 + 0.2, "0.3"),
        (dt.datetime(2024, 5, 1), "2024-05-01"),
        (dt.datetime(2024, 5, 1, 14, 30), "2024-05-01 14:30:00"),
        ("  two\nlines ", "two lines"),
    ],
)
def test_cell_values_read_as_in_excel(value, shown):
    assert format_cell(value) == shown


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_rows_render_as_header_value_pairs():
    data = b"System,Version,Owner\r\nSAP ECC,6.0,Finance\r\n,,\r\nJira,,Engineering\r\n"
    doc = extract_document("systems.csv", data)
    assert doc.content_type == "text/csv"
    assert doc.pages == ["System: SAP ECC; Version: 6.0; Owner: Finance\n\nSystem: Jira; Owner: Engineering"]


def test_csv_semicolon_delimited_cp1252_export():
    data = "Anwendung;Hersteller;Größe\nBuchhaltung;DATEV;5 €\n".encode("cp1252")
    doc = extract_document("export.csv", data)
    assert doc.pages == ["Anwendung: Buchhaltung; Hersteller: DATEV; Größe: 5 €"]
    assert doc.warnings == ["decoded as cp1252 (not UTF-8)"]


def test_csv_quoted_fields_with_commas_and_newlines():
    data = b'Risk,Note\n"Legacy, unsupported","Windows 2008\nstill in use"\n'
    doc = extract_document("risks.csv", data)
    assert doc.pages == ["Risk: Legacy, unsupported; Note: Windows 2008 still in use"]


# --- TXT / MD and encodings -----------------------------------------------------------------------

WESTERN = "Café owner’s “network” review – budget €12,500.\n\nThe ERP runs SAP ECC 6.0."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_text_files_in_common_encodings_decode_to_the_same_text(encoding):
    doc = extract_document("notes.txt", WESTERN.encode(encoding))
    assert doc.pages == [WESTERN]


def test_markdown_is_text_with_its_own_content_type():
    doc = extract_document("README.md", b"# Network\n\nTwo MPLS links.\n")
    assert doc.content_type == "text/markdown"
    assert doc.pages == ["# Network\n\nTwo MPLS links."]


def test_cyrillic_and_japanese_legacy_encodings_are_detected():
    russian = "Сервер базы данных работает на Oracle Linux, резервное копирование ежедневно."
    japanese = "基幹システムはオンプレミスで運用されています。バックアップは毎日取得しています。"
    assert extract_document("ru.txt", russian.encode("cp1251")).pages == [russian]
    assert extract_document("ja.txt", japanese.encode("shift_jis")).pages == [japanese]


def test_long_text_is_split_into_blocks_at_paragraph_boundaries():
    paragraphs = [f"Section {i}. " + "Servers are virtualised on VMware. " * 12 for i in range(40)]
    doc = extract_document("long.txt", "\n\n".join(paragraphs).encode())
    assert len(doc.pages) > 5
    assert all(len(p) <= PAGE_CHARS for p in doc.pages)
    assert "\n\n".join(doc.pages) == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_longer_than_a_page_is_cut_at_a_sentence_end():
    text = "Backups run nightly to tape. " * 300  # one 8,700-char paragraph
    pages = split_blocks(text)
    assert len(pages) == 3
    assert all(len(p) <= PAGE_CHARS and p.endswith("tape.") for p in pages)


# --- normalisation -------------------------------------------------------------------------------


def test_normalisation_removes_what_a_reader_cannot_see_and_keeps_the_words():
    raw = "The ﬁrewall\u00a0conﬁg-\u00aduration\x00 is  under\u200b review.\r\n\r\n\r\n\tNext\u202e paragraph  \x0c"
    assert normalize_text(raw) == "The firewall config-uration is under review.\n\nNext paragraph"


def test_pdf_ligatures_and_soft_hyphens_do_not_reach_the_pages():
    doc = extract_document("lig.txt", "Eﬃcient ﬁle transfer via SFTP, re\u00adviewed.".encode())
    assert doc.pages == ["Efficient file transfer via SFTP, reviewed."]
