"""A completed run's rows as the plain data dealiq.evaluation scores (read through the run-scoped querysets)."""
from __future__ import annotations

from dealiq.evaluation import AnswerKey, RunData, Scorecard, score
from deals.models import DocumentPage

from ..models import AnalysisRun, Fact, FactFindingLink, Finding, Gap, RunStatus


class RunNotScorable(ValueError):
    """The run cannot be scored yet (or any more): it did not complete."""


def run_data(run: AnalysisRun) -> RunData:
    facts = [
        {
            "id": f"F{f.pk}", "entity": f.entity, "domain": f.domain, "category": f.category, "item": f.item,
            "details": f.details, "evidence": f.evidence, "document_id": f.document_id, "pages": list(f.pages or []),
            "source": f.document.filename if f.document_id else None,
        }
        for f in Fact.objects.for_run(run).select_related("document").order_by("domain", "entity", "pk")
    ]
    gaps = [
        {"id": f"G{g.pk}", "entity": g.entity, "domain": g.domain, "category": g.category,
         "description": g.description, "importance": g.importance, "suggested_sources": g.suggested_sources}
        for g in Gap.objects.for_run(run).unanswered().order_by("domain", "entity", "pk")
    ]
    findings = [
        {"id": f"R{f.pk}", "domain": f.domain, "finding_type": f.finding_type, "title": f.title,
         "description": f.description, "reasoning": f.reasoning, "mitigation": f.mitigation, "severity": f.severity,
         "phase": f.phase, "details": f.details}
        for f in Finding.objects.for_run(run).order_by("domain", "pk")
    ]
    links = [
        {"fact_id": f"F{fact_id}", "finding_id": f"R{finding_id}", "link_type": link_type}
        for fact_id, finding_id, link_type in FactFindingLink.objects.filter(
            finding__in=Finding.objects.for_run(run), fact__in=Fact.objects.for_run(run)
        ).values_list("fact_id", "finding_id", "link_type")
    ]
    cited = {f["document_id"] for f in facts if f["document_id"]}
    pages = {
        (document_id, number): text
        for document_id, number, text in DocumentPage.objects.filter(document_id__in=cited).values_list(
            "document_id", "number", "text"
        )
    }
    return RunData(facts=facts, gaps=gaps, findings=findings, links=links, pages=pages)


def evaluate_run(run: AnalysisRun, key: AnswerKey) -> Scorecard:
    """Score a completed run against an answer key."""
    if run.status != RunStatus.COMPLETED:
        raise RunNotScorable(
            f"run {run.pk} (deal {run.deal_id}, run {run.number}) is {run.status}, not completed: "
            "only a completed run has all its domains written"
        )
    return score(key, run_data(run))


def run_summary(run: AnalysisRun) -> dict:
    """Which run was scored, and what it cost (calls and tokens are 0 for the offline engine)."""
    return {"id": run.pk, "deal": run.deal.name, "number": run.number, "status": run.status, "engine": run.engine,
            "model": run.model, "calls": run.calls, "input_tokens": run.input_tokens, "output_tokens": run.output_tokens,
            "cache_creation_input_tokens": run.cache_creation_input_tokens,
            "cache_read_input_tokens": run.cache_read_input_tokens, "cost": str(run.cost),
            "dropped_ungrounded": run.dropped_ungrounded}


def usage_line(run: AnalysisRun) -> str:
    return (f"calls: {run.calls}, tokens: {run.input_tokens:,} input + {run.cache_creation_input_tokens:,} cache write + "
            f"{run.cache_read_input_tokens:,} cache read, {run.output_tokens:,} output; cost: ${run.cost:.4f}")
