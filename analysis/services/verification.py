"""Analyst decisions on facts and gaps, and how they survive re-runs.

One home for each decision: `verify_fact`, `reject_fact`, `reset_fact`, `resolve_gap`, `reopen_gap`
(views and admin actions call these). `carry_forward_verifications` is called by persist while a
discovery step writes its facts, inside the step's transaction.

The carry-forward rule (also in docs/analyst-guide.md):

* Two facts are "the same fact" when they have the same natural key in the same deal. The key hashes
  entity, domain, category and the *normalised* item text, so a new run that finds the same thing has
  the same key even when capitalisation or punctuation of the item differs.
* The decision carried is the one of the most recent earlier run (lower run number) in which the key
  has a decision (verified or rejected), whether the analyst made it there or it was carried there.
* The decision carries only when what the analyst saw is unchanged: the item text (whitespace-normalised,
  case-sensitive), the details shown (structured values such as version, count, end-of-support date;
  compared as JSON, without the engine's internal counters such as how often the data room mentions the
  item — an unrelated new document must not undo a verification), the evidence quote (whitespace-
  normalised) and its source (document entity and name, pages). So "SAP ECC 6.0 EHP7" → "SAP ECC 6.0
  EHP8" is a new key (new fact), while "Windows Server 2012 R2" with details {"count": 40} →
  {"count": 55}, or a different quote or page, is the same key with changed content.
* Changed content → the fact stays `pending` and `previous_content` keeps the earlier decided value
  (item, details, evidence, decision, run, who) so the analyst sees what changed.
* Gaps carry their resolution forward by key (a gap's key hashes its description, so the same key
  means the same question).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record_event

from ..models import AnalysisRun, Fact, Gap, Verification

_SPACE = re.compile(r"\s+")
DECISION_EVENTS = ("fact.verified", "fact.rejected", "fact.reset")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


def fact_source(fact: Fact) -> str:
    """The source the analyst saw: document (by entity and name, so a re-upload of the same file is the
    same source) and pages."""
    document = fact.document
    name = f"{document.entity}/{document.filename}" if document is not None else "no document"
    pages = ", ".join(str(p) for p in (fact.pages or []))
    return f"{name} p. {pages}" if pages else name


def fact_content(fact: Fact) -> dict[str, Any]:
    """What "the content of a fact" means for carry-forward: what the analyst saw (see module docstring)."""
    return {
        "item": _squash(fact.item),
        "details": fact.shown_details,
        "evidence": _squash(fact.evidence),
        "source": fact_source(fact),
    }


def fact_decision_history(fact: Fact, limit: int = 50):
    """The decisions on this fact's key in every run of the deal, newest first, each with its run."""
    return (
        AuditEvent.objects.filter(deal_id=fact.deal_id, object_type="Fact", data__key=fact.key)
        .filter(event_type__in=DECISION_EVENTS)
        .select_related("run")
        .order_by("-at", "-id")[:limit]
    )


def same_content(a: Fact, b: Fact) -> bool:
    return fact_content(a) == fact_content(b)


def _decision_snapshot(fact: Fact, run_number: int) -> dict[str, Any]:
    user = fact.verified_by
    return {
        **fact_content(fact),
        "verification": fact.verification,
        "run": run_number,
        "verified_in_run": fact.verified_in_run,
        "verified_by": user.get_username() if user else "",
        "note": fact.verification_note,
    }


def _decide(fact: Fact, decision: str, user, note: str) -> Fact:
    if decision not in (Verification.VERIFIED, Verification.REJECTED, Verification.PENDING):
        raise ValidationError(f"unknown verification {decision!r}")
    if decision == Verification.REJECTED and not (note or "").strip():
        raise ValidationError("Rejecting a fact needs a note saying why.")
    with transaction.atomic():
        fact = Fact.all_objects.select_for_update().select_related("run").get(pk=fact.pk)
        before = fact.verification
        run_number = fact.run.number
        fact.verification = decision
        fact.verification_note = (note or "").strip()
        if decision == Verification.PENDING:
            fact.verified_by = None
            fact.verified_at = None
            fact.verified_in_run = None
        else:
            fact.verified_by = user
            fact.verified_at = timezone.now()
            fact.verified_in_run = run_number
        fact.save(update_fields=["verification", "verification_note", "verified_by", "verified_at", "verified_in_run"])
        record_event(
            f"fact.{decision}" if decision != Verification.PENDING else "fact.reset",
            actor=user,
            deal=fact.deal_id,
            run=fact.run_id,
            obj=fact,
            data={"key": fact.key, "before": before, "after": decision, "note": fact.verification_note},
        )
        if decision != Verification.PENDING:
            _push_to_later_runs(fact, run_number)
    return fact


def _push_to_later_runs(fact: Fact, run_number: int) -> None:
    """A decision made on run N also reaches runs after N that already wrote the key (a run that was in
    progress while the analyst worked) — unless that later fact has its own decision."""
    later = (
        Fact.all_objects.select_for_update()
        .filter(deal_id=fact.deal_id, key=fact.key, run__number__gt=run_number, verified_at__isnull=True)
        .exclude(pk=fact.pk)
    )
    for other in later:
        _apply_carry(other, fact, run_number)
        other.save(update_fields=CARRY_FIELDS)


def verify_fact(fact: Fact, user, note: str = "") -> Fact:
    return _decide(fact, Verification.VERIFIED, user, note)


def reject_fact(fact: Fact, user, note: str) -> Fact:
    return _decide(fact, Verification.REJECTED, user, note)


def reset_fact(fact: Fact, user, note: str = "") -> Fact:
    return _decide(fact, Verification.PENDING, user, note)


def resolve_gap(gap: Gap, user, note: str = "") -> Gap:
    with transaction.atomic():
        gap = Gap.objects.select_for_update().get(pk=gap.pk)
        gap.resolved_by = user
        gap.resolved_at = timezone.now()
        gap.resolution_note = (note or "").strip()
        gap.save(update_fields=["resolved_by", "resolved_at", "resolution_note"])
        record_event(
            "gap.resolved", actor=user, deal=gap.deal_id, run=gap.run_id, obj=gap,
            data={"key": gap.key, "note": gap.resolution_note},
        )
    return gap


def reopen_gap(gap: Gap, user, note: str = "") -> Gap:
    with transaction.atomic():
        gap = Gap.objects.select_for_update().get(pk=gap.pk)
        gap.resolved_by = None
        gap.resolved_at = None
        gap.resolution_note = (note or "").strip()
        gap.save(update_fields=["resolved_by", "resolved_at", "resolution_note"])
        record_event("gap.reopened", actor=user, deal=gap.deal_id, run=gap.run_id, obj=gap, data={"key": gap.key})
    return gap


CARRY_FIELDS = [
    "verification",
    "verified_by",
    "verified_at",
    "verification_note",
    "verified_in_run",
    "previous_content",
]


def _apply_carry(target: Fact, source: Fact, source_run_number: int) -> None:
    """Copy `source`'s decision onto `target` when the content is the same; else pending + old value."""
    if same_content(target, source):
        target.verification = source.verification
        target.verified_by_id = source.verified_by_id
        target.verified_at = source.verified_at
        target.verification_note = source.verification_note
        target.verified_in_run = source.verified_in_run or source_run_number
        target.previous_content = None
    else:
        target.verification = Verification.PENDING
        target.verified_by_id = None
        target.verified_at = None
        target.verification_note = ""
        target.verified_in_run = None
        target.previous_content = _decision_snapshot(source, source_run_number)


def _latest_decided(model, run: AnalysisRun, keys: list[str], decided, related: tuple[str, ...]) -> dict[str, Any]:
    """key → row of the most recent earlier run where that key has a decision (one query)."""
    qs = (
        model.filter(deal_id=run.deal_id, key__in=keys, run__number__lt=run.number)
        .filter(decided)
        .select_related(*related)
        .order_by("key", "-run__number")
    )
    latest: dict[str, Any] = {}
    for row in qs.annotate(source_run_number=F("run__number")):
        latest.setdefault(row.key, row)
    return latest


def carry_forward_verifications(run: AnalysisRun, fact_keys: Iterable[str], gap_keys: Iterable[str] = ()) -> dict[str, int]:
    """Give this run's freshly written facts/gaps the earlier runs' decisions (call inside the step's
    transaction, right after the upsert). Rows of this run that already carry a decision are left alone,
    so a redelivered step never overwrites an analyst's work."""
    fact_keys = list(fact_keys)
    gap_keys = list(gap_keys)
    counts = {"carried": 0, "changed": 0, "gaps_carried": 0}
    if run.number <= 1:  # no earlier run of the deal to carry anything from: no query
        return counts
    if fact_keys:
        sources = _latest_decided(
            Fact.all_objects, run, fact_keys, ~Q(verification=Verification.PENDING), ("verified_by", "document")
        )
        if sources:
            targets = list(
                Fact.all_objects.filter(run=run, key__in=list(sources), verified_at__isnull=True).select_related("document")
            )
            for target in targets:
                source = sources[target.key]
                _apply_carry(target, source, source.source_run_number)
                counts["carried" if target.verification != Verification.PENDING else "changed"] += 1
            Fact.all_objects.bulk_update(targets, CARRY_FIELDS)
    if gap_keys:
        sources = _latest_decided(Gap.objects, run, gap_keys, Q(resolved_at__isnull=False), ("resolved_by",))
        if sources:
            targets = list(Gap.objects.filter(run=run, key__in=list(sources), resolved_at__isnull=True))
            for target in targets:
                source = sources[target.key]
                target.resolved_by_id = source.resolved_by_id
                target.resolved_at = source.resolved_at
                target.resolution_note = source.resolution_note
            Gap.objects.bulk_update(targets, ["resolved_by", "resolved_at", "resolution_note"])
            counts["gaps_carried"] = len(targets)
    return counts
