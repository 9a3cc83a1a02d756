"""Closing the loop on the VDR request list: a gap of the previous run that this run's documents answer.

Gap keys are deterministic (entity, domain, category, description), so "the same gap" in two runs is
the same key. When the previous completed run had a gap this run no longer has, and this run's discovery
of that domain and entity finished, we look for what answered it: first a fact of this run that answers
the gap's checklist topic (or, for a gap outside the checklist, a fact of the same category), else the
page of this run's documents that answers the topic. The gap is then written into this run under its
key, answered, with the quote, document and page — so the gaps page and the VDR list show "answered"
instead of a gap that silently vanished. Answered rows do not count as gaps.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from dealiq.checklist import answering_text_index, checklist_topic, evaluate_checklist
from dealiq.keys import normalise_for_key
from dealiq.vdr import clean_sources

from ..models import DISCOVERY_ENTITY, SETTLED_STEP_STATUSES, AnalysisRun, Fact, Gap, RunStep
from .inputs import manifest_pages


@dataclass(frozen=True)
class Answer:
    quote: str
    document_id: int | None
    page: int | None
    fact_id: int | None = None


def previous_completed_run(run: AnalysisRun) -> AnalysisRun | None:
    return AnalysisRun.objects.for_deal(run.deal_id).completed().filter(number__lt=run.number).order_by("-number").first()


def _discovered(run: AnalysisRun) -> set[tuple[str, str]]:
    """(domain, entity) pairs whose discovery step of this run finished."""
    steps = RunStep.objects.filter(run=run, kind__in=list(DISCOVERY_ENTITY), status__in=SETTLED_STEP_STATUSES)
    return {(domain, DISCOVERY_ENTITY[kind]) for domain, kind in steps.values_list("domain", "kind")}


class _AnswerFinder:
    def __init__(self, run: AnalysisRun, pairs: set[tuple[str, str]]):
        self.run = run
        self.facts: dict[tuple[str, str], list[Fact]] = {}
        domains = {d for d, _ in pairs}
        for fact in Fact.objects.for_run(run).filter(domain__in=domains).order_by("document_id", "id"):
            self.facts.setdefault((fact.domain, fact.entity), []).append(fact)
        self._pages: dict[str, list] = {}

    def find(self, gap: Gap) -> Answer | None:
        return self._from_facts(gap) or self._from_pages(gap)

    def _from_facts(self, gap: Gap) -> Answer | None:
        facts = self.facts.get((gap.domain, gap.entity), [])
        topic = checklist_topic(gap.domain, gap.category)
        if topic is not None:
            index = answering_text_index(topic, [f.evidence for f in facts])
            fact = facts[index] if index is not None else None
        else:
            category = normalise_for_key(gap.category)
            fact = next((f for f in facts if normalise_for_key(f.category) == category), None)
        if fact is None:
            return None
        return Answer(fact.evidence, fact.document_id, (fact.pages or [None])[0], fact.pk)

    def _from_pages(self, gap: Gap) -> Answer | None:
        if checklist_topic(gap.domain, gap.category) is None:
            return None
        if gap.entity not in self._pages:
            self._pages[gap.entity] = manifest_pages(self.run, gap.entity)
        statuses = evaluate_checklist(gap.domain, self._pages[gap.entity], self.run.deal.deal_type, entity=gap.entity)
        status = next((s for s in statuses if s.topic_id == gap.category and s.answered), None)
        if status is None:
            return None
        return Answer(status.evidence, status.document_id, status.page_number)


def record_answered_gaps(run: AnalysisRun) -> int:
    """Write the previous run's gaps that this run answers into this run, answered. Idempotent (the
    (run, key) constraint); call before counting the run's gaps. Returns how many were answered."""
    previous = previous_completed_run(run)
    if previous is None:
        return 0
    discovered = _discovered(run)
    current = set(Gap.objects.for_run(run).values_list("key", flat=True))
    candidates = [
        g
        for g in Gap.objects.for_run(previous).order_by("domain", "entity", "id")
        if (g.domain, g.entity) in discovered and g.key not in current
    ]
    if not candidates:
        return 0
    finder = _AnswerFinder(run, {(g.domain, g.entity) for g in candidates})
    now = timezone.now()
    answered = []
    for gap in candidates:
        answer = finder.find(gap)
        if answer is None:
            continue  # the gap vanished without an answer we can show (e.g. the checklist changed)
        answered.append(
            Gap(
                run=run,
                deal_id=run.deal_id,
                key=gap.key,
                entity=gap.entity,
                domain=gap.domain,
                category=gap.category,
                description=gap.description,
                importance=gap.importance,
                suggested_sources=clean_sources(gap.suggested_sources),
                legacy_id=gap.legacy_id,
                answered_at=gap.answered_at or now,
                answered_since_run=gap.answered_since_run or previous.number,
                answer_fact_id=answer.fact_id,
                answer_quote=answer.quote,
                answer_document_id=answer.document_id,
                answer_page=answer.page,
            )
        )
    Gap.objects.bulk_create(answered, ignore_conflicts=True)
    return len(answered)
