"""Deterministic natural keys for facts, gaps and findings.

The same item extracted in two runs gets the same key: that is what lets the UI compare runs and carry
an analyst's verification forward. Keys hash normalised text, so case, spacing and punctuation
differences do not create a new key.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise_for_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _NON_WORD.sub(" ", text).strip()


def natural_key(*parts: str) -> str:
    joined = "|".join(normalise_for_key(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def fact_key(entity: str, domain: str, category: str, item: str) -> str:
    return natural_key("fact", entity, domain, category, item)


def gap_key(entity: str, domain: str, category: str, description: str) -> str:
    return natural_key("gap", entity, domain, category, description)


def finding_key(domain: str, finding_type: str, title: str) -> str:
    return natural_key("finding", domain, finding_type, title)
