"""End-of-life catalogue: load the release data, recognise products in messy inventory text, rate support.

Two data files, both next to this module:

- `products.json` — derived from endoflife.date (see SOURCE.md), 80 products;
- `vendor_lifecycle.json` — a small hand-kept table, same format, for products endoflife.date does not
  cover (SAP ECC / S/4HANA, Cisco ASA / NX-OS, Check Point, Junos, Microsoft 365 plans). Its `note`
  fields say where each date comes from and which ones were not verified (`eol: null` → status unknown).

Matching works on tokens, not characters: "W2K12R2", "Win 2012 R2", "Windows Server 2012R2" and
"windows-server 2012 r2" all become letter/digit runs that are looked up in a trie of every alias the
data gives, plus product alias × release combinations ("SQL" + "2014 SP3"). That keeps matching fast
(one pass per text) and tolerant of spacing and punctuation, while a release never matches inside a
longer word or a hostname such as "SRV-W2K12-01".
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

DATA_DIR = Path(__file__).resolve().parent
PRODUCTS_FILE = DATA_DIR / "products.json"
VENDOR_TABLE_FILE = DATA_DIR / "vendor_lifecycle.json"

# Spellings seen in real inventories that the data files do not list at product level.
EXTRA_PRODUCT_ALIASES: dict[str, tuple[str, ...]] = {
    "mssqlserver": ("SQL", "MS-SQL"),
    "vmware-esxi": ("VMware ESX", "vSphere ESXi"),
    "pan-os": ("Palo Alto Networks", "PA OS"),
}

PAST_EOL = "past_eol"
EOL_SOON = "eol_within_12_months"
SUPPORTED = "supported"
UNKNOWN = "unknown"

_TOKEN = re.compile(r"[A-Za-z]+|\d+")
_GAP_CHARS = frozenset(" -_./'\t")
_CODENAME = re.compile(r"'[^']*'")
_UPDATE_SUFFIX = re.compile(r"\s+(?:CU|SU|UR)\d+.*$")
_VERSION_FIELD = re.compile(r"\b(?:version|release|ver|level)\s*[:=]\s*(?P<v>[^;|\n]{1,40})", re.IGNORECASE)

DateOrFlag = dt.date | bool | None


def _date(value) -> DateOrFlag:
    if value is None or isinstance(value, bool):
        return value
    return dt.date.fromisoformat(str(value))


def tokens_of(text: str) -> tuple[str, ...]:
    return tuple(m.group().lower() for m in _TOKEN.finditer(text or ""))


@dataclass(frozen=True)
class Release:
    product: str
    product_label: str
    category: str
    cycle: str
    label: str
    eol: DateOrFlag
    active_support: DateOrFlag = None
    extended_support: DateOrFlag = None
    release_date: dt.date | None = None
    source: str = "endoflife.date"

    @property
    def display_name(self) -> str:
        """How an analyst names the release: "Windows Server 2012 R2", "SQL Server 2014 SP3"."""
        label = re.sub(r"\s+", " ", _CODENAME.sub("", self.label or self.cycle)).strip()
        label = _UPDATE_SUFFIX.sub("", label)  # "2016 CU23 SU19" names the latest build, not the release
        short = _SHORT_PRODUCT_NAMES.get(self.product, self.product_label)
        label_words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", label)}
        product_words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", f"{self.product_label} {short}")}
        if label_words & product_words:  # the label already names the product ("Windows Server 2012 R2")
            return label
        return f"{short} {label}".strip()


# Product names as they read best in front of a version ("SQL Server 2014 SP3", not "Microsoft SQL Server 2014 SP3").
_SHORT_PRODUCT_NAMES = {
    "mssqlserver": "SQL Server",
    "windows": "Windows",
    "vmware-esxi": "VMware ESXi",
    "vmware-vcenter": "VMware vCenter",
    "rhel": "RHEL",
    "msexchange": "Exchange Server",
    "oracle-database": "Oracle Database",
    "pan-os": "PAN-OS",
    "fortios": "FortiOS",
    "cisco-ios-xe": "Cisco IOS XE",
    "veeam-backup-and-replication": "Veeam B&R",
    "sharepoint": "SharePoint Server",
    "office": "Office",
}


@dataclass(frozen=True)
class SupportAssessment:
    """A release's support position on one date (the deal's reference date)."""

    status: str  # past_eol | eol_within_12_months | supported | unknown
    eol_date: dt.date | None
    months_to_eol: int | None  # negative once past
    extended_support_until: dt.date | None
    extended_support_active: bool

    def as_details(self) -> dict:
        return {
            "support_status": self.status,
            "eol_date": self.eol_date.isoformat() if self.eol_date else None,
            "months_to_eol": self.months_to_eol,
            "extended_support_until": self.extended_support_until.isoformat() if self.extended_support_until else None,
            "extended_support_active": self.extended_support_active,
        }


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError(day)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (negative when end is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end >= start and end.day < start.day:
        months -= 1
    elif end < start and end.day > start.day:
        months += 1
    return months


def assess(release: Release, on: dt.date, window_months: int = 12) -> SupportAssessment:
    eol = release.eol
    extended = release.extended_support if isinstance(release.extended_support, dt.date) else None
    extended_active = bool(extended and extended >= on) or release.extended_support is False
    if eol is True:
        return SupportAssessment(PAST_EOL, None, None, extended, extended_active)
    if eol is False:
        return SupportAssessment(SUPPORTED, None, None, extended, extended_active)
    if eol is None:
        return SupportAssessment(UNKNOWN, None, None, extended, extended_active)
    months = months_between(on, eol)
    if eol < on:
        status = PAST_EOL
    elif eol <= add_months(on, window_months):
        status = EOL_SOON
    else:
        status = SUPPORTED
    return SupportAssessment(status, eol, months, extended, extended_active)


@dataclass(frozen=True)
class ProductMatch:
    release: Release
    start: int
    end: int
    text: str  # the spelling found, verbatim


@dataclass
class _Node:
    children: dict[str, "_Node"] = field(default_factory=dict)
    release: Release | None = None


class EolCatalogue:
    """Releases from both data files, indexed for token matching."""

    def __init__(self, products: list[dict], *, exclude_products: Iterable[str] = ()):
        excluded = set(exclude_products)
        self.products = [p for p in products if p["product"] not in excluded]
        self.releases: list[Release] = []
        self._root = _Node()
        self._product_root = _Node()
        self._build()

    @classmethod
    def load(cls, *, exclude_products: Iterable[str] = ()) -> "EolCatalogue":
        return cls(_load_products(), exclude_products=exclude_products)

    # -- building -----------------------------------------------------------------------------------

    def _build(self) -> None:
        per_product: list[tuple[dict, list[tuple[Release, dict]], list[tuple[str, ...]]]] = []
        for product in self.products:
            aliases = list(product.get("aliases", [])) + list(EXTRA_PRODUCT_ALIASES.get(product["product"], ()))
            product_aliases = sorted({tokens_of(a) for a in aliases if tokens_of(a)}, key=len, reverse=True)
            releases = [(self._release(product, raw), raw) for raw in product.get("releases", [])]
            self.releases.extend(r for r, _ in releases)
            per_product.append((product, releases, product_aliases))
            for alias in product_aliases:
                self._insert(self._product_root, alias, releases[0][0] if releases else None)

        # Pass 1: the release aliases the data lists. Pass 2: product alias × what follows a product alias
        # in those aliases. Pass 3: product alias × cycle / label. The first registration of a token
        # sequence wins, so an explicit alias is never overridden by a generated one.
        for _, releases, _ in per_product:
            for release, raw in releases:
                for alias in raw.get("aliases", []):
                    self._insert_alias(tokens_of(alias), release)
        for _, releases, product_aliases in per_product:
            for release, raw in releases:
                for alias in raw.get("aliases", []):
                    rest = _strip_prefix(tokens_of(alias), product_aliases)
                    if rest:
                        for product_alias in product_aliases:
                            self._insert_alias(product_alias + rest, release)
        for _, releases, product_aliases in per_product:
            for release, raw in releases:
                for tail in {tokens_of(raw.get("cycle", "")), tokens_of(_CODENAME.sub("", raw.get("label", "")))}:
                    if tail:
                        for product_alias in product_aliases:
                            self._insert_alias(product_alias + tail, release)

    @staticmethod
    def _release(product: dict, raw: dict) -> Release:
        return Release(
            product=product["product"],
            product_label=product.get("label", product["product"]),
            category=product.get("category", ""),
            cycle=str(raw.get("cycle", "")),
            label=str(raw.get("label") or raw.get("cycle", "")),
            eol=_date(raw.get("eol")),
            active_support=_date(raw.get("active_support")),
            extended_support=_date(raw.get("extended_support")),
            release_date=_date(raw.get("release_date")) if raw.get("release_date") else None,
            source=_source_text(product),
        )

    def _insert_alias(self, alias: tuple[str, ...], release: Release) -> None:
        # A version needs two tokens and a number ("RHEL 7"); a name-only alias is allowed only for
        # products whose releases are not versioned in the table (S/4HANA, Microsoft 365 plans).
        if len(alias) < 2 or alias[0].isdigit():
            return
        if not any(t.isdigit() for t in alias) and release.cycle not in ("any",) and release.category != "saas":
            return
        self._insert(self._root, alias, release)

    @staticmethod
    def _insert(root: _Node, alias: tuple[str, ...], release: Release | None) -> None:
        node = root
        for token in alias:
            node = node.children.setdefault(token, _Node())
        if node.release is None:
            node.release = release

    # -- matching -----------------------------------------------------------------------------------

    def find(self, text: str) -> list[ProductMatch]:
        """Every release named in `text`, left to right, longest spelling first, no overlaps.

        When a line names only a product and gives the version in a field of its own
        ("OS: Windows Server; Version: 2012 R2"), the two are combined.
        """
        matches = self._walk(self._root, text)
        if matches:
            return _unique(matches)
        field_match = _VERSION_FIELD.search(text or "")
        if field_match:
            for product_hit in self._walk(self._product_root, text):
                combined = f"{product_hit.text} {field_match.group('v')}"
                for hit in self._walk(self._root, combined):
                    if hit.start == 0:
                        return [ProductMatch(hit.release, product_hit.start, field_match.end("v"), text[product_hit.start: field_match.end("v")])]
        return []

    def _walk(self, root: _Node, text: str) -> list[ProductMatch]:
        tokens = [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text or "")]
        found: list[ProductMatch] = []
        i = 0
        while i < len(tokens):
            if not _starts_word(text, tokens[i][1]):
                i += 1
                continue
            node, best = root, None
            for j in range(i, len(tokens)):
                if j > i and not _is_separator(text[tokens[j - 1][2]: tokens[j][1]]):
                    break
                node = node.children.get(tokens[j][0])
                if node is None:
                    break
                if node.release is not None and _ends_word(text, tokens[j][2]):
                    best = (j, node.release)
            if best is None:
                i += 1
                continue
            j, release = best
            start, end = tokens[i][1], tokens[j][2]
            found.append(ProductMatch(release, start, end, text[start:end]))
            i = j + 1
        return found

    def release(self, product: str, cycle: str) -> Release | None:
        for release in self.releases:
            if release.product == product and release.cycle == cycle:
                return release
        return None


def _source_text(product: dict) -> str:
    if product.get("_vendor_table"):
        policy = product.get("vendor_policy")
        return f"DealIQ vendor table citing {policy}" if policy else "DealIQ vendor table"
    return "endoflife.date"


def _strip_prefix(alias: tuple[str, ...], product_aliases: list[tuple[str, ...]]) -> tuple[str, ...]:
    for prefix in product_aliases:  # longest first
        if len(alias) > len(prefix) and alias[: len(prefix)] == prefix:
            return alias[len(prefix):]
    return ()


def _is_separator(gap: str) -> bool:
    return len(gap) <= 2 and all(c in _GAP_CHARS for c in gap)


def _starts_word(text: str, start: int) -> bool:
    """Not in the middle of a word, nor of a hostname such as SRV-W2K12-01."""
    if start == 0:
        return True
    before = text[start - 1]
    if before.isalnum():
        return False
    if before in "-_\\/" and start >= 2 and text[start - 2].isalnum():
        return False
    return True


def _ends_word(text: str, end: int) -> bool:
    """A release may be followed by an update suffix ("6.7U3", "7.9", "SP3"), but not by "-01" or "_x"."""
    if end >= len(text):
        return True
    after = text[end]
    if after in "-_" and end + 1 < len(text) and text[end + 1].isalnum():
        return False
    return True


def _unique(matches: list[ProductMatch]) -> list[ProductMatch]:
    seen: set[tuple[str, str]] = set()
    out = []
    for match in matches:
        key = (match.release.product, match.release.cycle)
        if key not in seen:
            seen.add(key)
            out.append(match)
    return out


@lru_cache(maxsize=1)
def _load_products() -> list[dict]:
    products = json.loads(PRODUCTS_FILE.read_text(encoding="utf-8"))
    vendor = json.loads(VENDOR_TABLE_FILE.read_text(encoding="utf-8"))
    for entry in vendor:
        entry["_vendor_table"] = True
    return products + vendor


@lru_cache(maxsize=8)
def get_catalogue(exclude_products: frozenset[str] = frozenset()) -> EolCatalogue:
    """The shared, read-only catalogue (building the trie takes a moment, so it is built once)."""
    return EolCatalogue(_load_products(), exclude_products=exclude_products)
