"""A discovery step's persistence against a raw upsert of the same rows, 20,000 facts: rows/s and ratio.

    .venv/bin/python bench/bench_persist.py [--facts 20000] [--repeat 5]

Uses the database `dealiq_bench_persist` (override with BENCH_PERSIST_DATABASE_URL), created and migrated
if missing. Each repetition, on a fresh run of one deal (so the carry-forward of an earlier run's
verifications looks, as it does in production):

* **step**: `claim_step` then `persist_discovery` — the fence check, the upsert of facts and gaps, the
  carry-forward of verifications, the checkpoint (`done`, counts, audit event), progress and fan-in;
* **raw**: `psycopg2.extras.execute_values` of `INSERT … ON CONFLICT (run_id, key) DO UPDATE` of the
  same facts into the same table (same indexes), computing the same keys — the floor for this table.

The two alternate, and medians of `--repeat` are compared: ratio = step rows/s ÷ raw rows/s (goal ≥ 0.6).

Then the cost of full-text search on inserts, on scratch copies of the table (`LIKE analysis_fact`):
raw upsert with no search index, with the expression GIN index this project had before (to_tsvector
computed at insert), with a stored generated tsvector column + GIN (considered: it computes to_tsvector at
insert too, and stores it), and with what it has now: `search_vector` NULL at insert under a partial GIN
index, filled by one UPDATE per run at finalize (whose rate is reported too).

Prints a table, writes bench/results/persist.json (git-ignored), and exits non-zero if it could not
measure (no PostgreSQL, or a write that did not produce its rows).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres_db import ensure_database  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_PERSIST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealiq_bench_persist")
WORDS = (
    "windows server 2012 sql oracle vmware esxi sap erp crm salesforce firewall cisco fortinet palo alto vpn "
    "mfa okta azure active directory backup veeam immutable siem soc edr crowdstrike defender licence "
    "contract tsa colocation datacenter wan mpls sd-wan switch router wifi laptop helpdesk outsourced"
).split()
RAW_COLUMNS = ("run_id", "deal_id", "key", "entity", "domain", "category", "item", "details", "evidence",
               "document_id", "pages", "confidence", "verification", "verification_note", "legacy_id", "created_at")
UPDATE_COLUMNS = ("category", "item", "details", "evidence", "document_id", "pages", "confidence")


def make_result(count: int, document_id: int):
    import random

    from dealiq.schemas import DiscoveryResult, FactItem

    rng = random.Random(17)
    facts = []
    for i in range(count):
        words = [rng.choice(WORDS) for _ in range(7)]
        facts.append(FactItem(
            entity="target", domain="applications", category=f"category-{i % 17}",
            item=f"{words[0]} {words[1]} {words[2]} #{i}",
            evidence=f"The data room states that {words[3]} {words[4]} runs on {words[5]} {words[6]} at site {i % 40}.",
            document_id=document_id, pages=[1 + i % 5], details={"version": str(i % 9)}, confidence=0.9,
        ))
    return DiscoveryResult(facts=facts)


def raw_upsert(table: str, run_id: int, deal_id: int, result) -> float:
    """The floor: execute_values of the same rows (keys computed here too), one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone
    from psycopg2.extras import Json, execute_values

    started = time.perf_counter()
    now = timezone.now()
    rows = [
        (run_id, deal_id, f.key, f.entity, f.domain, f.category, f.item, Json(f.details), f.evidence,
         f.document_id, Json(f.pages), f.confidence, "pending", "", "", now)
        for f in result.facts
    ]
    sql = (
        f"INSERT INTO {table} ({', '.join(RAW_COLUMNS)}) VALUES %s ON CONFLICT (run_id, key) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATE_COLUMNS)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, page_size=1000)
    return time.perf_counter() - started


def step_persist(deal, result) -> tuple[float, int]:
    from analysis.models import Fact, StepKind
    from analysis.services.runs import create_run
    from analysis.services.steps import claim_step, persist_discovery

    run = create_run(deal, engine="offline", domains=["applications"])
    claim = claim_step(run.pk, "applications", StepKind.DISCOVER_TARGET, worker="bench@host").claim
    if claim is None:
        raise SystemExit("could not claim the bench step")
    started = time.perf_counter()
    persist_discovery(claim, result)
    elapsed = time.perf_counter() - started
    return elapsed, Fact.all_objects.filter(run=run).count()


def fts_variants(result, deal_id: int, repeat: int) -> dict[str, float]:
    """rows/s of a raw upsert into scratch copies of analysis_fact with each kind of search index."""
    from django.db import connection

    variants = {
        "no search index": [],
        "expression GIN index (before)": [
            "CREATE INDEX ON {t} USING gin (to_tsvector('english'::regconfig, "
            "COALESCE(item, '') || ' ' || COALESCE(evidence, '')))"
        ],
        "generated tsvector column + GIN (considered)": [
            "ALTER TABLE {t} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('english'::regconfig, COALESCE(item, '') || ' ' || COALESCE(evidence, ''))) STORED",
            "CREATE INDEX ON {t} USING gin (search_vector)",
        ],
        "vector filled at finalize, partial GIN (now)": [
            "ALTER TABLE {t} ADD COLUMN search_vector tsvector",
            "CREATE INDEX ON {t} USING gin (search_vector) WHERE search_vector IS NOT NULL",
            "CREATE INDEX ON {t} (run_id) WHERE search_vector IS NULL",
        ],
    }
    out = {}
    for name, ddl in variants.items():
        table = "bench_fact_scratch"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # The real table's columns, defaults, constraints and btree indexes; then no search column or index.
            cursor.execute(f"CREATE TABLE {table} (LIKE analysis_fact INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                           "INCLUDING INDEXES INCLUDING IDENTITY)")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE %s",
                           [table, "%using gin%"])
            for (index,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{index}"')
            for sql in ddl:
                cursor.execute(sql.format(t=table))
        timings = [raw_upsert(table, 1_000_000 + i, deal_id, result) for i in range(repeat)]
        out[name] = round(len(result.facts) / statistics.median(timings))
        if name.endswith("(now)"):
            # …and what finalize pays for it later, once per run: one UPDATE filling the run's vectors.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET search_vector = to_tsvector('english'::regconfig, COALESCE(item, '') || ' ' "
                    "|| COALESCE(evidence, '')) WHERE run_id = %s AND search_vector IS NULL", [1_000_000])
            out["finalize: fill one run's vectors (rows/s)"] = round(len(result.facts) / (time.perf_counter() - started))
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    try:
        ensure_database(DATABASE_URL)
    except Exception as exc:  # noqa: BLE001 — no PostgreSQL: cannot measure
        print(f"cannot measure: {exc}", file=sys.stderr)
        return 2
    os.environ.update({"DATABASE_URL": DATABASE_URL, "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
                       "DJANGO_SETTINGS_MODULE": "config.settings.local"})
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from analysis.models import Fact, RunStep
    from analysis.services.runs import create_run
    from deals.models import Document
    from tests.factories import make_small_deal

    call_command("migrate", verbosity=0, interactive=False)
    deal = make_small_deal(f"Persist bench {time.time_ns()}")
    document = Document.objects.filter(deal=deal, entity="target").first()
    result = make_result(args.facts, document.pk)
    step_times, raw_times = [], []
    for _ in range(args.repeat):
        elapsed, written = step_persist(deal, result)
        if written != args.facts:
            print(f"cannot measure: the step wrote {written} facts, not {args.facts}", file=sys.stderr)
            return 1
        step_times.append(elapsed)
        raw_run = create_run(deal, engine="offline", domains=["applications"]).pk  # the same foreign keys
        raw_times.append(raw_upsert("analysis_fact", raw_run, deal.pk, result))
        if Fact.all_objects.filter(run_id=raw_run).count() != args.facts:
            print("cannot measure: the raw upsert did not write its rows", file=sys.stderr)
            return 1
    # Statements the step issued for its save (one more write after the timing, same code path).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        step_persist(deal, result)
    statements = len([q for q in queries.captured_queries])
    step_rate = args.facts / statistics.median(step_times)
    raw_rate = args.facts / statistics.median(raw_times)
    variants = fts_variants(result, deal.pk, max(3, args.repeat // 2 + 1))
    base = variants["no search index"]

    print(f"\n{args.facts:,} facts per write, medians of {args.repeat}")
    print(f"{'write':44} {'rows/s':>9} {'ratio':>7}")
    print(f"{'raw INSERT … ON CONFLICT (execute_values)':44} {raw_rate:9.0f} {1:7.2f}")
    print(f"{'the step (claim → persist_discovery)':44} {step_rate:9.0f} {step_rate / raw_rate:7.2f}")
    print(f"(statements of create run + claim + persist: {statements}; RunSteps in db: {RunStep.objects.count()})")
    print("\nraw upsert into a scratch copy, by full-text search index:")
    for name, rate in variants.items():
        print(f"{name:44} {rate:9.0f} {rate / base:7.2f}" if not name.startswith("finalize") else f"{name:44} {rate:9.0f}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "persist.json").write_text(json.dumps({
        "facts": args.facts, "repeat": args.repeat, "raw_rows_per_s": round(raw_rate), "step_rows_per_s": round(step_rate),
        "ratio": round(step_rate / raw_rate, 3), "fts_variants_rows_per_s": variants,
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
