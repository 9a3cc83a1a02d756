"""A target gap as a request to the seller: a question, and the clean list of documents it asks for.

Pure functions (no Django): the web exports and the executive summary phrase requests the same way.
"""
from __future__ import annotations

import re
from typing import Iterable

from .checklist import checklist_topic

# What the offline engine appends to a topic's title in a gap description.
_NOT_FOUND = re.compile(r":\s*not found in the (?:target|buyer)'s documents\.?\s*$", re.I)
_PLACEHOLDER = re.compile(r":\s*answered only with a placeholder\s*\((.*)\)\s*$", re.I | re.S)
_NO_PREFIX = re.compile(r"^(?:no|missing|lack of|absence of)\s+", re.I)


def clean_sources(sources: Iterable[str] | None) -> list[str]:
    """The documents requested, whole: rejoins fragments an unquoted YAML list split at commas inside
    parentheses (["Application inventory (name", "vendor)"] → ["Application inventory (name, vendor)"]),
    drops blanks and repeats, keeps the order."""
    cleaned: list[str] = []
    pending = ""
    for raw in sources or ():
        part = str(raw).strip()
        if not part and not pending:
            continue
        pending = f"{pending}, {part}" if pending else part
        if pending.count("(") <= pending.count(")"):
            if pending not in cleaned:
                cleaned.append(pending)
            pending = ""
    if pending and pending not in cleaned:
        cleaned.append(pending)
    return cleaned


def _lower_first(text: str) -> str:
    # "Disaster recovery test results" → "disaster recovery test results"; keep acronyms ("ERP landscape").
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def gap_topic(domain: str, category: str, description: str) -> str:
    """What the gap is about, as a noun phrase: the checklist topic's title, else the description without
    the engine's "not found" tail or a leading "No"."""
    topic = checklist_topic(domain, category)
    if topic is not None:
        return topic.title
    text = _PLACEHOLDER.sub("", _NOT_FOUND.sub("", description or "")).strip().rstrip(".")
    return _NO_PREFIX.sub("", text).strip() or category.replace("_", " ")


def request_question(domain: str, category: str, description: str) -> str:
    """The gap as a question to the seller (the documents requested go in their own column)."""
    subject = _lower_first(gap_topic(domain, category, description))
    placeholder = _PLACEHOLDER.search(description or "")
    ask = f"Could you please provide the {subject}?"
    if placeholder:
        return f"The documents give only a placeholder for the {subject} ({placeholder.group(1).strip()}): could you please provide it?"
    return ask
