"""Per-domain data-room checklist: which topics an entity's documents answer, and a coverage grade.

Pure functions over pages (no Django): the offline engine turns unanswered topics into gaps, and the web
UI grades each domain's coverage from the same evaluation. Topics live in dealiq/rules/checklist.yaml.

A topic is answered when one of its keywords appears in a line whose answer is not a placeholder. A
keyword in a heading ("## DR test results") is answered by the line that follows it. A topic mentioned
only with "TBD" / "not available" is reported as `placeholder=True` and stays unanswered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from .domains import DOMAIN_KEYS
from .rules import RuleError, load
from .rules.lexicon import get_lexicon
from .rules.units import TextUnit, answer_span, split_pages
from .schemas import IMPORTANCES, SourcePage

# Share of topics answered → grade. There is no E, as in US letter grades.
GRADE_THRESHOLDS: tuple[tuple[float, str], ...] = ((0.90, "A"), (0.75, "B"), (0.60, "C"), (0.40, "D"), (0.0, "F"))


@dataclass(frozen=True)
class ChecklistTopic:
    id: str
    domain: str
    title: str
    importance: str
    keywords: tuple[re.Pattern, ...]
    suggested_sources: tuple[str, ...]
    deal_types: tuple[str, ...] = ()  # empty: every deal type
    entities: tuple[str, ...] = ()  # empty: target and buyer

    def applies_to(self, deal_type: str | None, entity: str | None = None) -> bool:
        if self.deal_types and deal_type is not None and deal_type not in self.deal_types:
            return False
        return not self.entities or entity is None or entity in self.entities


@dataclass(frozen=True)
class TopicStatus:
    topic_id: str
    title: str
    importance: str
    answered: bool
    suggested_sources: tuple[str, ...]
    placeholder: bool = False  # mentioned, but only with a placeholder answer ("TBD")
    evidence: str = ""  # the line that answered it, or the placeholder line
    document_id: int | None = None
    page_number: int | None = None
    filename: str = ""


def coverage_grade(share: float) -> str:
    """A–F from the share (0..1) of a domain's topics that are answered."""
    for threshold, grade in GRADE_THRESHOLDS:
        if share >= threshold:
            return grade
    return "F"


def coverage_share(statuses: Sequence[TopicStatus]) -> float:
    return sum(s.answered for s in statuses) / len(statuses) if statuses else 0.0


@lru_cache(maxsize=8)
def _all_topics(rules_dir: str | None = None) -> dict[str, tuple[ChecklistTopic, ...]]:
    data = load("checklist.yaml", rules_dir)
    topics: dict[str, tuple[ChecklistTopic, ...]] = {}
    for domain in DOMAIN_KEYS:
        entries = []
        for raw in data.get(domain) or []:
            where = f"checklist.yaml {domain}.{raw.get('id')}"
            if raw.get("importance") not in IMPORTANCES:
                raise RuleError(f"{where}: importance must be one of {IMPORTANCES}")
            try:
                keywords = tuple(re.compile(k, re.IGNORECASE | re.MULTILINE) for k in raw["keywords"])
            except (KeyError, re.error) as exc:
                raise RuleError(f"{where}: bad or missing keywords: {exc}") from None
            sources = tuple(str(source) for source in raw.get("sources") or ())
            for source in sources:
                if source.count("(") != source.count(")"):
                    # An unquoted YAML flow list splits "Inventory (name, vendor)" at its commas.
                    raise RuleError(f"{where}: source {source!r} has unbalanced parentheses (quote it in the YAML)")
            entries.append(
                ChecklistTopic(
                    id=raw["id"],
                    domain=domain,
                    title=raw["title"],
                    importance=raw["importance"],
                    keywords=keywords,
                    suggested_sources=sources,
                    deal_types=tuple(raw.get("deal_types") or ()),
                    entities=tuple(raw.get("entities") or ()),
                )
            )
        topics[domain] = tuple(entries)
    return topics


def checklist_topics(
    domain: str, deal_type: str | None = None, entity: str | None = None, *, rules_dir: str | None = None
) -> list[ChecklistTopic]:
    """The topics of a domain; with `deal_type` / `entity`, only those that apply (None: no filter)."""
    if domain not in DOMAIN_KEYS:
        raise ValueError(f"unknown domain {domain!r}")
    return [t for t in _all_topics(rules_dir)[domain] if t.applies_to(deal_type, entity)]


def evaluate_checklist(
    domain: str,
    pages: list[SourcePage],
    deal_type: str | None = None,
    *,
    entity: str | None = None,
    units: list[TextUnit] | None = None,
    rules_dir: str | None = None,
) -> list[TopicStatus]:
    """Each topic of `domain` with whether `pages` (one entity's documents) answer it.

    `deal_type` and `entity` drop the topics that do not apply (e.g. TSA schedules outside a carve-out,
    or asked of the buyer). `units` may be passed when the caller has already split the pages.
    """
    units = units if units is not None else split_pages(pages)
    lexicon = get_lexicon(rules_dir)
    topics = checklist_topics(domain, deal_type, entity, rules_dir=rules_dir)
    return [_evaluate(topic, units, lexicon) for topic in topics]


def _evaluate(topic: ChecklistTopic, units: list[TextUnit], lexicon) -> TopicStatus:
    placeholder_unit: TextUnit | None = None
    for index, unit in enumerate(units):
        match = _first_keyword(topic, unit.text)
        if match is None:
            continue
        answer_unit, answer_text = unit, None
        if unit.is_heading:
            following = units[index + 1] if index + 1 < len(units) else None
            if following is None or following.is_heading or following.document_id != unit.document_id:
                continue  # a bare heading answers nothing
            answer_unit, answer_text = following, following.text
        else:
            start, end = answer_span(unit.text, match.start(), match.end())
            answer_text = unit.text[start:end]
        if lexicon.is_placeholder(answer_text):
            placeholder_unit = placeholder_unit or answer_unit
            continue
        return _status(topic, True, answer_unit)
    if placeholder_unit is not None:
        return _status(topic, False, placeholder_unit, placeholder=True)
    return _status(topic, False, None)


def _first_keyword(topic: ChecklistTopic, text: str) -> re.Match | None:
    for keyword in topic.keywords:
        match = keyword.search(text)
        if match:
            return match
    return None


def _status(topic: ChecklistTopic, answered: bool, unit: TextUnit | None, placeholder: bool = False) -> TopicStatus:
    return TopicStatus(
        topic_id=topic.id,
        title=topic.title,
        importance=topic.importance,
        answered=answered,
        suggested_sources=topic.suggested_sources,
        placeholder=placeholder,
        evidence=unit.evidence if unit else "",
        document_id=unit.document_id if unit else None,
        page_number=unit.page_number if unit else None,
        filename=unit.filename if unit else "",
    )


def checklist_topic(domain: str, topic_id: str, *, rules_dir: str | None = None) -> ChecklistTopic | None:
    """The topic `topic_id` of `domain`, or None when the catalogue has no such topic (e.g. a model's gap)."""
    if domain not in DOMAIN_KEYS:
        return None
    return next((t for t in _all_topics(rules_dir)[domain] if t.id == topic_id), None)


def answering_text_index(topic: ChecklistTopic, texts: Sequence[str], *, rules_dir: str | None = None) -> int | None:
    """Index of the first of `texts` (e.g. facts' quotes) that answers `topic`: one of its keywords is
    there and the answer next to it is not a placeholder. None when none does."""
    lexicon = get_lexicon(rules_dir)
    for index, text in enumerate(texts):
        match = _first_keyword(topic, text or "")
        if match is None:
            continue
        start, end = answer_span(text, match.start(), match.end())
        if not lexicon.is_placeholder(text[start:end]):
            return index
    return None
