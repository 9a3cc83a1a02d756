"""Incremental re-analysis: a step whose inputs did not change since an earlier completed run of the deal
takes that run's results instead of calling its engine.

Every step gets an input fingerprint (dealiq.fingerprint) over the inputs its request is built from
(`inputs.step_inputs`: the very dict the executor passes to DiscoveryRequest / ReasoningRequest), the
entity's document ids, sha256s and versions (discovery), and the engine's versions (engine, model, prompts
and code, RULES_VERSION and rule files, answer-shaping settings). Before a step asks the rate limiter for a
token, `prepare` looks for a settled step with the same fingerprint, domain and kind in a completed run of
the same deal (newest first; indexed). If there is one, the step is claimed as usual (the fence) and
`settle_reused` copies that step's rows into this run — facts and gaps of the (domain, entity), or the
domain's findings and their fact links — one INSERT … SELECT per table, and settles the step `reused`
(running → reused, lifecycle.py). No engine call, no rate-limit token. Otherwise the step runs its engine
and keeps its fingerprint (`Claim.fingerprint`, written with its checkpoint), so a later run can reuse it.

Analysts' work survives: copied facts and gaps start undecided and get the earlier runs' decisions through
`carry_forward_verifications`, exactly as a re-run's freshly written rows do; finding reviews apply by key
and run number, so the copied findings (same keys) show them with no copy at all.

What is not copied: a gap a run wrote at finalize because its documents answered it (`answered_at` set:
gap_answers.py) and the deal-level layer's findings (details.layer = "deal"): finalize makes both again
for this run, from this run's rows. `run.fresh` (`analyze --fresh`, the start form's checkbox, a fresh
batch) and DEALIQ_REUSE_UNCHANGED_STEPS=0 turn the lookup off; fingerprints are still recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dealiq.fingerprint import fingerprint

from ..models import (
    ACTIVE_RUN_STATUSES,
    DISCOVERY_ENTITY,
    SETTLED_STEP_STATUSES,
    AnalysisRun,
    Fact,
    FactFindingLink,
    Finding,
    Gap,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
)
from . import inputs as step_inputs
from . import lifecycle
from .steps import StaleClaim, announce_settled, bounded_transaction
from .verification import carry_forward_verifications

DEAL_LAYER = "deal"  # details.layer of the deal-level reasoning layer's findings (dealiq.reasoning.emit)


@dataclass(frozen=True)
class PreparedStep:
    """A step's request inputs, its fingerprint, and the step it may reuse (None: run the engine)."""

    inputs: dict[str, Any]
    fingerprint: str
    source: dict[str, Any] | None = None  # the step to reuse: SOURCE_FIELDS

    @property
    def source_step_id(self) -> int | None:
        return self.source["pk"] if self.source else None

    @property
    def source_run_number(self) -> int | None:
        return self.source["run__number"] if self.source else None


def step_fingerprint(run: AnalysisRun, domain: str, kind: str, inputs: dict[str, Any], versions: dict) -> str:
    extra: dict[str, Any] = {}
    entity = DISCOVERY_ENTITY.get(StepKind(kind))
    if entity is not None:
        # The documents themselves (a new version or a changed file is a new input even if its pages
        # happened to extract to the same text).
        extra["documents"] = sorted(
            (d["id"], d.get("sha256", ""), d.get("version")) for d in run.document_manifest if d["entity"] == entity
        )
    return fingerprint(kind, inputs, versions, extra)


def reuse_enabled(run: AnalysisRun) -> bool:
    return settings.DEALIQ_REUSE_UNCHANGED_STEPS and not run.fresh


# What a reused step takes over from its source step besides the rows.
SOURCE_FIELDS = ("pk", "run_id", "run__number", "dropped_ungrounded", "dropped_links", "item_report")


def find_source(run: AnalysisRun, domain: str, kind: str, fp: str) -> dict[str, Any] | None:
    """SOURCE_FIELDS of the newest settled step with this fingerprint in a completed run of the deal, or
    None (one indexed query)."""
    return (
        RunStep.objects.filter(
            input_fingerprint=fp,
            domain=domain,
            kind=kind,
            status__in=SETTLED_STEP_STATUSES,
            run__deal_id=run.deal_id,
            run__status=RunStatus.COMPLETED,
        )
        .exclude(run_id=run.pk)
        .order_by("-run__number")
        .values(*SOURCE_FIELDS)
        .first()
    )


def prepare(run: AnalysisRun, domain: str, kind: str, versions: dict, *, deal_wide: bool = False) -> PreparedStep:
    """Read the step's inputs, fingerprint them and look for a step to reuse (unless the run is fresh);
    `deal_wide`: the engine's reasoning reads the whole deal's facts and gaps, so they are inputs too."""
    data = step_inputs.step_inputs(run, domain, kind, deal_wide=deal_wide)
    fp = step_fingerprint(run, domain, kind, data, versions)
    # A deal's first run has no earlier run to reuse from: no lookup.
    source = find_source(run, domain, kind, fp) if reuse_enabled(run) and run.number > 1 else None
    return PreparedStep(data, fp, source)


# --- copying a settled step's rows: one INSERT … SELECT per table ---------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _copy_rows(model, new_run_id: int, overrides: dict[str, Any], where: str, where_params: list) -> list[str]:
    """INSERT INTO model (every stored column) SELECT the source row's columns, with `overrides`
    (column attname → value) instead, FROM model src WHERE `where`; returns the keys inserted."""
    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(_q(field.column))
        if field.attname == "run_id":
            exprs.append("%s")
            params.append(new_run_id)
        elif field.attname in overrides:
            exprs.append("%s")
            params.append(field.get_db_prep_save(overrides[field.attname], connection))
        else:
            exprs.append(f"src.{_q(field.column)}")
    table = _q(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {table} src "
        f"WHERE {where} ON CONFLICT ({_q('run_id')}, {_q('key')}) DO NOTHING RETURNING {_q('key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + where_params)
        return [row[0] for row in cursor.fetchall()]


def _not_deal_layer(alias: str) -> str:
    # `->> 'layer'` reads a JSON key as text on PostgreSQL and on SQLite (3.38+) alike.
    return f"COALESCE({alias}.{_q('details')} ->> 'layer', '') <> %s"


def copy_discovery(run: AnalysisRun, source_run_id: int, domain: str, entity: str) -> dict[str, int]:
    """The facts and gaps a discovery step wrote, copied from the source run into `run` (undecided), then
    the earlier runs' decisions carried forward as for any freshly written fact or gap."""
    now = timezone.now()
    where = "src.run_id = %s AND src.domain = %s AND src.entity = %s"
    fact_keys = _copy_rows(
        Fact, run.pk,
        {
            "created_at": now, "deleted_at": None, "verification": "pending", "verified_by_id": None,
            "verified_at": None, "verification_note": "", "verified_in_run": None, "previous_content": None,
        },
        where, [source_run_id, domain, entity],
    )
    gap_keys = _copy_rows(
        Gap, run.pk,
        {
            "created_at": now, "resolved_by_id": None, "resolved_at": None, "resolution_note": "",
            "answered_at": None, "answer_fact_id": None, "answer_quote": "", "answer_document_id": None,
            "answer_page": None, "answered_since_run": None,
        },
        # Rows finalize added because this run's documents answered them are not the step's output.
        where + " AND src.answered_at IS NULL", [source_run_id, domain, entity],
    )
    carry_forward_verifications(run, fact_keys, gap_keys)
    return {"facts": len(fact_keys), "gaps": len(gap_keys)}


def copy_reasoning(run: AnalysisRun, source_run_id: int, domain: str) -> dict[str, int]:
    """The findings a reason step wrote (not the deal-level layer's), and their links to this run's facts
    of the same keys."""
    keys = _copy_rows(
        Finding, run.pk, {"created_at": timezone.now()},
        f"src.run_id = %s AND src.domain = %s AND {_not_deal_layer('src')}", [source_run_id, domain, DEAL_LAYER],
    )
    link, finding, fact = (_q(m._meta.db_table) for m in (FactFindingLink, Finding, Fact))
    sql = (
        f"INSERT INTO {link} (fact_id, finding_id, link_type) "
        f"SELECT nf.id, nfi.id, l.link_type FROM {link} l "
        f"JOIN {finding} sfi ON sfi.id = l.finding_id "
        f"JOIN {fact} sf ON sf.id = l.fact_id "
        f"JOIN {finding} nfi ON nfi.run_id = %s AND nfi.{_q('key')} = sfi.{_q('key')} "
        f"JOIN {fact} nf ON nf.run_id = %s AND nf.{_q('key')} = sf.{_q('key')} "
        f"WHERE sfi.run_id = %s AND sfi.domain = %s AND {_not_deal_layer('sfi')} "
        f"ON CONFLICT (fact_id, finding_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, run.pk, source_run_id, domain, DEAL_LAYER])
        links = max(cursor.rowcount, 0)
    return {"findings": len(keys), "links": links}


def settle_reused(claim, prepared: PreparedStep, run: AnalysisRun) -> dict[str, int]:
    """Copy the source step's rows and settle the step `reused`, in one transaction, fenced like a save:
    only while the step is still this claim's (same attempt, running) and the run is active."""
    source = prepared.source
    with transaction.atomic():
        bounded_transaction()
        # The step row only (the run row is never locked across a step's save; it is read in the join).
        held = list(
            RunStep.objects.select_for_update(of=("self",))
            .filter(pk=claim.step_id, status=StepStatus.RUNNING, attempts=claim.attempt,
                    run__status__in=ACTIVE_RUN_STATUSES)
            .values_list("partial", flat=True)
        )
        if not held:
            raise StaleClaim(f"step {claim.step_id} is no longer claim {claim.attempt}'s, or its run ended")
        if claim.kind == StepKind.REASON:
            counts = copy_reasoning(run, source["run_id"], claim.domain)
        else:
            counts = copy_discovery(run, source["run_id"], claim.domain, claim.entity)
        facts, gaps, findings = counts.get("facts", 0), counts.get("gaps", 0), counts.get("findings", 0)
        now = timezone.now()
        partial = held[0] or {}
        lifecycle.move_step(
            claim.step_id,
            "reuse",
            attempt=claim.attempt,
            fields={
                "input_fingerprint": prepared.fingerprint,
                "reused_from_id": source["pk"],
                "facts_written": facts,
                "gaps_written": gaps,
                "findings_written": findings,
                "items_written": facts + gaps + findings,
                "dropped_ungrounded": source["dropped_ungrounded"],
                "dropped_links": source["dropped_links"],
                "item_report": source["item_report"],
                "partial": {k: v for k, v in partial.items() if k != "answers"},
                "finished_at": now,
                "heartbeat_at": now,
                "held_by": "",
            },
            run_id=claim.run_id,
            data={"domain": claim.domain, "kind": claim.kind, "attempt": claim.attempt,
                  "from_run": source["run__number"], "from_step": source["pk"], **counts},
        )
    announce_settled(claim, StepStatus.REUSED, counts)
    return counts
