"""The step path's round trips, counted (never timed): the claim is one statement, a step a dozen.

Counts, not timings: bench/bench_step_overhead.py times the same path against a bare Celery chord.
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis.models import STEP_ORDER, AnalysisRun, Fact, RunStatus, RunStep, StepKind, StepStatus
from analysis.services.runs import create_run
from analysis.services.steps import claim_step
from audit.models import AuditEvent
from audit.services import worker_label
from tests.factories import make_small_deal
from workers.step_runner import execute_step

from ..support.services import service_missing

pytestmark = pytest.mark.django_db(transaction=True)
DOMAINS = ["applications", "network"]
# A discovery step: run read, claim, page read, BEGIN, fenced lock, facts, gaps, checkpoint, its audit
# event, COMMIT, recount + fan-in (11). A little room for engines that read one thing more.
STEP_BUDGET = 12
RUN_START = 4  # the run's first claim also moves it queued → running (own transaction: no lock upgrade)
# The discovery step that finishes the deal's discovery reads the steps, finds the reasoning steps waiting
# for it, stamps their dispatch and sends them (the dispatch reads the run's priority and the step).
DISCOVERY_FINISHED = 5


def statements(fn) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return result, [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        service_missing("the one-statement claim is PostgreSQL's (set DATABASE_URL=postgres://…)")


def test_a_claim_is_one_statement_with_its_audit_event_and_the_runs_first_claim_starts_it(postgres_only):
    run = create_run(make_small_deal("Round trips Co"), engine="offline", domains=DOMAINS)
    result, sql = statements(lambda: claim_step(run.pk, "applications", StepKind.DISCOVER_TARGET, worker="w1@host"))
    # The claim, then (the run was queued) its start on its own: BEGIN, UPDATE, audit event, COMMIT.
    assert result.claim is not None and result.claim.attempt == 1 and len(sql) == 1 + RUN_START, sql
    step = RunStep.objects.get(pk=result.claim.step_id)
    assert (step.status, step.attempts, step.worker) == (StepStatus.RUNNING, 1, "w1@host")
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.started_at is not None
    events = AuditEvent.objects.filter(run=run).exclude(event_type="run.created")
    assert list(events.order_by("event_type").values_list("event_type", "deal_id", "actor_label", "object_id")) == [
        ("run.started", run.deal_id, worker_label(), str(run.pk)),
        ("step.claimed", run.deal_id, "w1@host", str(step.pk)),
    ]
    assert events.get(event_type="step.claimed").data == {
        "domain": "applications", "kind": "discover_target", "attempt": 1, "task_id": ""}
    # A second claim of another step: one statement again, and the run is not started twice.
    result, sql = statements(lambda: claim_step(run.pk, "network", StepKind.DISCOVER_TARGET, worker="w2@host"))
    assert result.claim is not None and len(sql) == 1
    assert AuditEvent.objects.filter(run=run, event_type="run.started").count() == 1


def _own_statements(sql: list[str]) -> list[str]:
    """A step's own statements: in eager mode the steps it sends (reasoning, once the deal's discovery
    finished) run inline, each starting with its one-statement claim."""
    claims = [i for i, text in enumerate(sql) if text.lstrip().startswith("WITH run AS (")]
    return sql[: claims[1]] if len(claims) > 1 else sql


def test_every_step_stays_within_its_statement_budget_and_the_last_one_asks_for_finalize(postgres_only):
    run = create_run(make_small_deal("Budget Co"), engine="offline", domains=DOMAINS)
    for kind in STEP_ORDER:
        for domain in DOMAINS:
            outcome, sql = statements(lambda domain=domain, kind=kind: execute_step(run.pk, domain, kind))
            if kind == StepKind.REASON and outcome.status == "skipped":
                # Sent and run (inline, eager) by the step that finished the deal's discovery.
                assert RunStep.objects.get(run=run, domain=domain, kind=kind).status == StepStatus.DONE
                continue
            assert outcome.status == "done", outcome
            last = (kind, domain) == (STEP_ORDER[-1], DOMAINS[-1])
            first = (kind, domain) == (STEP_ORDER[0], DOMAINS[0])
            finishes_discovery = (kind, domain) == (StepKind.DISCOVER_BUYER, DOMAINS[-1])
            own = _own_statements(sql)
            budget = STEP_BUDGET + (RUN_START if first else 0) + (DISCOVERY_FINISHED if finishes_discovery else 0)
            if not last:  # the last one runs finalize inline (eager mode)
                assert len(own) <= budget, f"{domain}/{kind}: {len(own)} statements\n" + "\n".join(own)
                # A step's save never computes the search vectors: finalize fills them once for the run.
                assert not Fact.all_objects.filter(run=run, search_vector__isnull=False).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.progress == 100 and run.steps_done == 6
    assert run.finalize_dispatched_at is not None
    assert Fact.all_objects.filter(run=run).exists()
    assert not Fact.all_objects.filter(run=run, search_vector__isnull=True).exists()


def test_the_fan_in_asks_for_finalize_once_and_recounts_progress_on_every_call():
    from analysis.services.lifecycle import after_step_settled, move_steps

    run = create_run(make_small_deal("Fan-in Co"), engine="offline", domains=DOMAINS)
    steps = RunStep.objects.filter(run=run)
    move_steps(steps.filter(domain="applications"), "import")
    assert after_step_settled(run.pk) is False  # network unfinished
    run.refresh_from_db()
    assert (run.steps_done, run.progress, run.finalize_dispatched_at) == (3, 50, None)
    # network fails at its first step: the domain is finished, the run's fan-in fires exactly once.
    move_steps(steps.filter(domain="network", kind=StepKind.DISCOVER_TARGET), "fail")
    assert after_step_settled(run.pk) is True
    assert after_step_settled(run.pk) is False
    stamped = AnalysisRun.objects.get(pk=run.pk).finalize_dispatched_at
    assert stamped is not None
    assert after_step_settled(run.pk) is False and AnalysisRun.objects.get(pk=run.pk).finalize_dispatched_at == stamped


def test_the_first_claims_of_a_queued_run_at_once_all_claim_and_start_it_once(postgres_only):
    """Six domains' first steps claimed together (a run's start): no deadlock between claims that hold the
    run row FOR SHARE, every claim succeeds, the run starts exactly once."""
    import threading

    from django.db import connections

    from dealiq.domains import DOMAIN_KEYS

    run = create_run(make_small_deal("Start Co"), engine="offline", domains=list(DOMAIN_KEYS))
    barrier = threading.Barrier(len(DOMAIN_KEYS))
    results, errors = {}, []

    def claim(domain):
        try:
            barrier.wait(10)
            results[domain] = claim_step(run.pk, domain, StepKind.DISCOVER_TARGET, worker=f"w-{domain}@host")
        except Exception as exc:  # a deadlock or lock timeout would land here
            errors.append(exc)
        finally:
            connections.close_all()

    for _ in range(3):  # a race: a few rounds
        threads = [threading.Thread(target=claim, args=(d,)) for d in DOMAIN_KEYS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == [] and all(r.claim is not None for r in results.values()), (errors, results)
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING
        assert AuditEvent.objects.filter(run=run, event_type="run.started").count() == 1
        run = create_run(run.deal, engine="offline", domains=list(DOMAIN_KEYS))
        results.clear()


def test_hints_skip_the_disk_wait_for_their_own_commit_only(postgres_only):
    """The recount/fan-in and liveness stamps commit asynchronously; the session (the next claim or save)
    and a caller's own transaction stay synchronous."""
    from django.db import transaction

    from analysis.services.durability import without_waiting_for_disk
    from analysis.services.lifecycle import after_step_settled

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    run = create_run(make_small_deal("Durable Co"), engine="offline", domains=DOMAINS)
    after_step_settled(run.pk)
    assert setting() == "on"
    with without_waiting_for_disk():
        assert setting() == "off"
        RunStep.objects.filter(run=run).update(held_by="w@host")
    assert setting() == "on" and RunStep.objects.filter(run=run, held_by="w@host").count() == 6
    with transaction.atomic():
        with without_waiting_for_disk():
            assert setting() == "on"  # inside a caller's transaction the caller's commit decides
        after_step_settled(run.pk)
        assert setting() == "on"


def test_the_bulk_upsert_keeps_every_value_and_a_rewrite_updates_in_place():
    """Values psycopg2 renders itself (quotes, %, unicode, JSON) arrive intact; writing the same keys again
    updates the rows (same ids), resets their search vector, and keeps analysts' fields."""
    from analysis.models import Gap
    from analysis.services.persist import upsert_discovery
    from analysis.services.search import index_run_facts
    from dealiq.schemas import DiscoveryResult, FactItem, GapItem
    from deals.models import Document

    run = create_run(make_small_deal("Values Co"), engine="offline", domains=DOMAINS)
    doc = Document.objects.filter(deal=run.deal, entity="target").first()
    odd = "It's 100% \"SAP\" — 50%s of %(users)s; naïve ☃ \\ backslash"
    facts = [FactItem(entity="target", domain="applications", category="erp", item=f"{odd} #{i}", evidence=odd,
                      document_id=doc.pk, pages=[1, 2], details={"version": "6.0", "odd": odd, "n": i}, confidence=0.5)
             for i in range(3)]
    gaps = [GapItem(entity="target", domain="applications", category="dr", description=odd, importance="critical",
                    suggested_sources=["DR plan", odd])]
    assert upsert_discovery(run, DiscoveryResult(facts=facts + facts[:1], gaps=gaps))["facts"] == 3  # deduped
    rows = {f.item: f for f in Fact.all_objects.filter(run=run)}
    first = rows[f"{odd} #0"]
    assert (first.evidence, first.details, first.pages, first.confidence) == (odd, facts[0].details, [1, 2], 0.5)
    assert (first.verification, first.verification_note, first.legacy_id, first.deleted_at) == ("pending", "", "", None)
    assert first.created_at is not None and first.search_vector is None
    gap = Gap.objects.get(run=run)
    assert (gap.description, gap.suggested_sources, gap.importance) == (odd, ["DR plan", odd], "critical")

    if connection.vendor == "postgresql":
        index_run_facts(run.pk)
    Fact.all_objects.filter(pk=first.pk).update(verification_note="checked by hand")
    facts[0].details = {"version": "7.0"}
    upsert_discovery(run, DiscoveryResult(facts=facts[:1], gaps=gaps))
    again = Fact.all_objects.get(pk=first.pk)
    assert again.details == {"version": "7.0"} and again.verification_note == "checked by hand"
    assert again.search_vector is None  # rewritten: back to "not indexed yet" until the next finalize
    assert Fact.all_objects.filter(run=run).count() == 3 and Gap.objects.filter(run=run).count() == 1
