"""Product and version facts: end-of-life catalogue matches in text units, with counts and support status.

The catalogue recognises the release ("W2K12R2" → Windows Server 2012 R2); products.yaml says which
domain and category it belongs to; the count comes from the same line when the line gives one
("40 servers on Windows Server 2012 R2", "ESXi 6.7U3: 8 hosts", a "Servers: 40" column). The support
status is assessed on the deal's reference date.

A count is part of the fact's item ("Windows Server 2012 R2: 40 servers"), so two documents that give
different counts produce two facts that the contradiction rule links, instead of one silently winning.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...domains import DOMAIN_KEYS
from ...eol.catalogue import EolCatalogue, ProductMatch, Release, assess, get_catalogue
from ...rules import RuleError, load
from ...rules.units import TextUnit, is_record
from .fact_rules import FactDraft

_NUM = r"(?<![\w.])(?P<n>\d{1,3}(?:,\d{3})+|\d{1,6})"
_UNIT_WORDS = (
    r"(?:servers?|hosts?|VMs?|virtual machines|instances?|devices?|appliances?|firewalls?|nodes?|databases?|"
    r"laptops|desktops|endpoints|PCs|workstations|systems|clusters?|licen[cs]es|seats|users|mailboxes|boxes|units|gateways?)"
)
# "40 servers on Windows Server 2012 R2", "12 x RHEL 7.9", "8 hosts running ESXi 6.7"
_COUNT_BEFORE = re.compile(
    _NUM + r"\s*(?:x\s*|(?:(?:physical|virtual|production|prod|legacy|remaining|Windows|Linux)\s+)*" + _UNIT_WORDS
    + r"\s*(?:(?:still|are|is|currently|which)\s+)*(?:(?:run|running|on|with|using|in|of|remain on)\s+)?(?:the\s+)?)$",
    re.IGNORECASE,
)
# "ESXi 6.7U3: 8 hosts", "Windows Server 2012 R2 (40)", "PAN-OS 9.1 (2 x PA-3220)"
_RELEASE_SUFFIX = re.compile(r"^(?:\s?(?:U|Update|SP|CU|EhP|R|H)\s?\d+[a-z]?|\.\d+|\(\d+\)[A-Z]?\d*)*", re.IGNORECASE)
_COUNT_AFTER = re.compile(
    r"^\s*(?::|=|-|–|—|\(|,)?\s*(?:on\s+|across\s+|for\s+)?" + _NUM + r"(?:\s*x\b|\s+" + _UNIT_WORDS + r"|\s*\))",
    re.IGNORECASE,
)
# A count column in a row that names one product: "Servers: 40", "Count: 12", "Qty: 2"
_COUNT_FIELD = re.compile(
    r"\b(?:count|qty|quantity|number(?: of \w+)?|servers|server count|instances|hosts|devices|units|total|#|installed base)\s*:\s*"
    + _NUM + r"\b",
    re.IGNORECASE,
)
MAX_COUNT = 100_000
# A statement that a release is gone: "all Windows Server 2012 R2 servers were retired in 2025", "CentOS was
# decommissioned last year", "no longer in use". A claim to record (an inventory may still list the
# release), never a running estate. Future and planned wording ("will be retired", "to be decommissioned",
# "being phased out") is not a claim that it is gone.
RETIRED_CLAIM = re.compile(
    r"(?<!will be )(?<!to be )(?<!being )(?<!not )(?<!never )"
    r"\b(?:(?:were|was|have been|has been|had been|fully|all|now)\s+)?(?:retired|decommissioned|removed|phased out|switched off|"
    r"shut down|eliminated|migrated (?:off|away)|upgraded (?:away|off))\b(?!\s+(?:by|before|within|in the next|next)\b)"
    r"|\bno longer (?:in use|used|running|in service|in production|present)\b|\bnone (?:remain|left)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(?:will|shall|to be|plan(?:ned|s)? to|being|scheduled|due to|must|should)\b[^.;]{0,30}$", re.IGNORECASE)


@dataclass(frozen=True)
class ProductProfile:
    """What products.yaml says about one catalogue product."""

    domain: str
    category: str
    unit: str
    cost_item: str | None
    internet_facing: bool
    function: str | None
    platform: str | None


class ProductRules:
    def __init__(self, data: dict):
        self.exclude = frozenset(data.get("exclude") or ())
        self.by_category = data.get("by_category") or {}
        self.products = data.get("products") or {}
        for where, table in (("by_category", self.by_category), ("products", self.products)):
            for key, entry in table.items():
                if entry.get("domain") and entry["domain"] not in DOMAIN_KEYS:
                    raise RuleError(f"products.yaml {where}.{key}: unknown domain {entry['domain']!r}")

    @classmethod
    @lru_cache(maxsize=8)
    def load(cls, rules_dir: str | None = None) -> "ProductRules":
        return cls(load("products.yaml", rules_dir))

    def catalogue(self) -> EolCatalogue:
        return get_catalogue(self.exclude)

    def find(self, text: str) -> tuple[ProductMatch, ...]:
        """Catalogue matches in a line, cached: every page is read by six domain discoveries."""
        return _cached_find(self.exclude, text)

    def profile(self, release: Release) -> ProductProfile:
        entry = {**(self.by_category.get(release.category) or {}), **(self.products.get(release.product) or {})}
        return ProductProfile(
            domain=entry.get("domain", "infrastructure"),
            category=entry.get("category", release.category or "software"),
            unit=entry.get("unit", "instance"),
            cost_item=entry.get("cost_item"),
            internet_facing=bool(entry.get("internet_facing")),
            function=entry.get("function"),
            platform=entry.get("platform"),
        )


@lru_cache(maxsize=32768)
def _cached_find(exclude: frozenset[str], text: str) -> tuple[ProductMatch, ...]:
    return tuple(get_catalogue(exclude).find(text))


def count_for(match: ProductMatch, unit_text: str, only_product_in_unit: bool) -> int | None:
    before = _COUNT_BEFORE.search(unit_text[max(0, match.start - 70): match.start])
    if before:
        return _as_count(before.group("n"))
    rest = unit_text[match.end:]
    rest = rest[_RELEASE_SUFFIX.match(rest).end():]
    after = _COUNT_AFTER.match(rest)
    if after:
        return _as_count(after.group("n"))
    if only_product_in_unit and is_record(unit_text):
        field = _COUNT_FIELD.search(unit_text)
        if field:
            return _as_count(field.group("n"))
    return None


def _as_count(text: str) -> int | None:
    value = int(text.replace(",", ""))
    return value if 0 < value <= MAX_COUNT else None


def product_drafts(
    unit: TextUnit, domain: str, reference_date: dt.date, rules: ProductRules, window_months: int = 12
) -> list[FactDraft]:
    matches = rules.find(unit.text)
    drafts = []
    for match in matches:
        profile = rules.profile(match.release)
        if profile.domain != domain:
            continue
        count = count_for(match, unit.text, len(matches) == 1)
        drafts.append(_draft(unit, match, profile, count, reference_date, window_months))
    return drafts


def _draft(unit: TextUnit, match: ProductMatch, profile: ProductProfile, count: int | None,
           reference_date: dt.date, window_months: int) -> FactDraft:
    release = match.release
    name = release.display_name
    retired = retired_claim(unit.text, match.start, match.end)
    if retired:
        item = f"{name}: stated as retired"
    else:
        item = f"{name}: {count:,} {profile.unit if count == 1 else profile.unit + 's'}" if count else name
    support = assess(release, reference_date, window_months)
    details: dict[str, Any] = {
        "rule": "eol_catalogue",
        "product": release.product,
        "product_label": release.product_label,
        "cycle": release.cycle,
        "release": name,
        "matched_text": match.text,
        "unit": profile.unit,
        "eol": _flag_or_date(release.eol),
        "extended_support": _flag_or_date(release.extended_support),
        "lifecycle_source": release.source,
        "reference_date": reference_date.isoformat(),
        **support.as_details(),
    }
    if retired:
        details["lifecycle_claim"] = "retired"
    elif count:
        details.update(count=count, measure=f"count:{release.product}:{release.cycle}", value=count)
    if profile.cost_item:
        details["cost_item"] = profile.cost_item
    if profile.internet_facing:
        details["internet_facing"] = True
    if profile.function:
        details.update(function=profile.function, platform=profile.platform or release.product_label)
    return FactDraft("eol_catalogue", profile.domain, profile.category, item, details, unit, 0.9)


def _flag_or_date(value) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def retired_claim(text: str, start: int, end: int) -> bool:
    """Whether the sentence around a release says it is gone (retired, decommissioned, no longer in use),
    in the past or present tense, within a few words of the release."""
    window = text[end:end + 90]
    found = RETIRED_CLAIM.search(window)
    if found and not _FUTURE.search(window[:found.start()]) and not re.search(r"[.;!?]\s", window[:found.start()]):
        return True
    before = text[max(0, start - 60):start]
    found = None
    for found in RETIRED_CLAIM.finditer(before):  # noqa: B007 — the last match, nearest the release
        pass
    return bool(found) and not _FUTURE.search(before[:found.start()]) and not re.search(r"[.;!?]\s", before[found.end():])
