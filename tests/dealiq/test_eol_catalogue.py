"""End-of-life catalogue: messy inventory spellings → releases, and support status on a reference date."""
from __future__ import annotations

import datetime as dt

import pytest

from dealiq.eol.catalogue import (
    EOL_SOON,
    PAST_EOL,
    SUPPORTED,
    UNKNOWN,
    Release,
    add_months,
    assess,
    get_catalogue,
    months_between,
)

REF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def catalogue():
    return get_catalogue(frozenset({"ios", "android", "tls", "pci-dss"}))


@pytest.mark.parametrize(
    "text, product, cycle",
    [
        ("W2K12R2", "windows-server", "2012-r2"),
        ("Win 2012 R2", "windows-server", "2012-r2"),
        ("Windows Server 2012R2", "windows-server", "2012-r2"),
        ("windows-server 2012 r2", "windows-server", "2012-r2"),
        ("SQL 2014 SP3", "mssqlserver", "12.0-sp3"),
        ("SQL 2014 SP2", "mssqlserver", "12.0-sp2"),
        ("RHEL 7.9", "rhel", "7"),
        ("ESXi 6.7U3", "vmware-esxi", "6.7"),
        ("PAN-OS 9.1", "pan-os", "9.1"),
        ("PAN-OS 9.1.14", "pan-os", "9.1"),
        ("SAP ECC 6.0 EhP7", "sap-ecc", "6.0-ehp7"),
        ("ECC6 EHP5", "sap-ecc", "6.0-ehp5"),
        ("O365 E3", "microsoft-365", "e3"),
        ("S/4HANA 2023", "sap-s4hana", "any"),
        ("Cisco ASA 9.8(4)", "cisco-asa", "9.8"),
        ("NX-OS 7.0(3)I7", "cisco-nx-os", "7.0"),
        ("Check Point R80.40", "checkpoint-gaia", "R80.40"),
        ("Junos 18.4R3", "juniper-junos", "18.4"),
        ("Exchange 2016 CU23", "msexchange", "2016"),
    ],
)
def test_messy_spellings_find_the_release(catalogue, text, product, cycle):
    matches = catalogue.find(f"Inventory line: {text} (production)")
    assert [(m.release.product, m.release.cycle) for m in matches] == [(product, cycle)]


def test_the_longest_spelling_wins_and_the_match_keeps_the_original_text(catalogue):
    [match] = catalogue.find("40 servers on Windows Server 2012 R2 remain")
    assert match.release.cycle == "2012-r2"
    assert match.text == "Windows Server 2012 R2"


def test_hostnames_and_words_containing_a_release_are_not_matches(catalogue):
    assert catalogue.find("Hostname: SRV-W2K12-01") == []
    assert catalogue.find("XW2K12R2 is a part number") == []


def test_a_product_and_a_separate_version_field_are_combined(catalogue):
    [match] = catalogue.find("Platform: Windows Server; Version: 2012 R2; Servers: 4")
    assert match.release.display_name == "Windows Server 2012 R2"


def test_display_names_read_like_an_analyst_writes_them(catalogue):
    names = {m.release.display_name for text in ("SQL 2014 SP3", "ESXi 6.7", "Exchange 2016", "RHEL 7") for m in catalogue.find(text)}
    assert names == {"SQL Server 2014 SP3", "VMware ESXi 6.7", "Exchange Server 2016", "RHEL 7"}


def _release(eol, extended=None) -> Release:
    return Release("p", "Product", "os", "1", "Product 1", eol=eol, extended_support=extended)


def test_support_status_on_the_reference_date():
    assert assess(_release(dt.date(2023, 10, 10)), REF).status == PAST_EOL
    assert assess(_release(dt.date(2027, 6, 30)), REF).status == EOL_SOON
    assert assess(_release(dt.date(2027, 11, 23)), REF).status == EOL_SOON  # exactly 12 months ahead
    assert assess(_release(dt.date(2027, 11, 24)), REF).status == SUPPORTED
    assert assess(_release(True), REF).status == PAST_EOL
    assert assess(_release(False), REF).status == SUPPORTED
    assert assess(_release(None), REF).status == UNKNOWN


def test_extended_support_is_reported_active_or_ended():
    active = assess(_release(dt.date(2024, 7, 9), dt.date(2027, 7, 12)), REF)
    ended = assess(_release(dt.date(2023, 10, 10), dt.date(2026, 10, 13)), REF)
    assert active.extended_support_active and not ended.extended_support_active
    assert active.months_to_eol < 0


def test_sample_products_have_the_public_dates(catalogue):
    def status(text):
        [match] = catalogue.find(text)
        return assess(match.release, REF)

    assert status("W2K12R2").eol_date == dt.date(2023, 10, 10)
    assert status("SQL 2014 SP3").extended_support_until == dt.date(2027, 7, 12)
    assert status("PAN-OS 9.1").status == PAST_EOL
    ecc = status("SAP ECC 6.0 EhP7")  # SAP: mainstream to end 2027, extended to end 2030
    assert (ecc.status, ecc.eol_date, ecc.extended_support_until) == (SUPPORTED, dt.date(2027, 12, 31), dt.date(2030, 12, 31))
    assert status("ECC 6.0 EHP5").eol_date == dt.date(2025, 12, 31)
    assert status("O365 E3").status == SUPPORTED
    assert status("Check Point R81.20").status == UNKNOWN  # not verified: never a silent "supported"


def test_vendor_table_releases_name_their_source(catalogue):
    [match] = catalogue.find("SAP ECC 6.0 EhP7")
    assert match.release.source.startswith("DealIQ vendor table citing https://news.sap.com/")
    [match] = catalogue.find("RHEL 7")
    assert match.release.source == "endoflife.date"


def test_month_arithmetic():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 23), -6) == dt.date(2026, 5, 23)
    assert months_between(dt.date(2026, 11, 23), dt.date(2027, 12, 31)) == 13
    assert months_between(dt.date(2026, 11, 23), dt.date(2023, 10, 10)) == -37
