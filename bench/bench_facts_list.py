"""The facts list on a PostgreSQL database holding a million facts: p50/p95 per kind of page.

    .venv/bin/python bench/bench_facts_list.py [--facts 1000000] [--deals 200] [--runs 5] [--requests 40]

Uses the database `dealiq_bench_facts` (override with BENCH_FACTS_DATABASE_URL), created and migrated if
missing, and fills it once with generated facts (kept between invocations; `--reload` starts over):
`--deals` deals × `--runs` completed runs, plus one large deal whose latest run alone holds 20,000
facts so that page 200 exists (50 a page). The rows are generated inside PostgreSQL
(`INSERT … SELECT generate_series`) from a vocabulary of IT-estate words, so full-text search has
realistic selectivity; the runs' search vectors are filled as finalize fills them (one UPDATE per run,
`analysis.services.search.index_run_facts`), and the table is VACUUM ANALYZEd.

It then times whole requests through Django's test client — URL resolution, access check, run
context, FilterSet, SQL, template rendering — as a superuser on the large deal's latest run:
first page, page 200, a filter (domain + entity), and full-text search. Reports p50/p95 in ms, the
median time of the page's SQL alone (its statements, timed by Django's debug cursor) and the queries
each page issues; writes bench/results/facts_list.json (git-ignored).
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

DATABASE_URL = os.environ.get("BENCH_FACTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealiq_bench_facts")
BIG_RUN_FACTS = 20_000

WORDS = (
    "windows server 2012 sql oracle vmware esxi sap erp crm salesforce firewall cisco fortinet palo alto vpn "
    "mfa okta azure active directory backup veeam immutable siem soc edr crowdstrike defender licence "
    "contract tsa colocation datacenter wan mpls sd-wan switch router wifi laptop helpdesk outsourced "
    "contractor headcount budget capex opex retention patching vulnerability penetration test iso 27001"
).split()
DOMAINS = ["applications", "infrastructure", "cybersecurity", "identity_access", "network", "organization"]


def insert_facts(cursor, run_id: int, deal_id: int, count: int) -> None:
    """`count` facts for one run, generated in SQL: item and evidence are random phrases from WORDS
    (random() after a fixed setseed, so every load is the same)."""
    cursor.execute("SELECT setseed(%s)", [(run_id % 1000) / 1000])
    cursor.execute(
        """
        INSERT INTO analysis_fact (run_id, deal_id, key, entity, domain, category, item, details, evidence,
                                   pages, confidence, verification, verification_note, legacy_id, created_at)
        SELECT %(run)s, %(deal)s, md5(%(run)s::text || '-' || g::text),
               CASE WHEN g %% 3 = 0 THEN 'buyer' ELSE 'target' END,
               (%(domains)s::text[])[1 + g %% 6],
               'category-' || (g %% 17)::text,
               w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int] || ' '
                   || w[1 + floor(random() * n)::int] || ' #' || g,
               '{}'::jsonb,
               'The data room states that ' || w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int]
                   || ' runs on ' || w[1 + floor(random() * n)::int] || ' ' || w[1 + floor(random() * n)::int]
                   || ' at site ' || (g %% 40)::text || '.',
               '[1]'::jsonb, 1.0,
               CASE WHEN g %% 10 = 0 THEN 'verified' ELSE 'pending' END, '', '', now()
        FROM generate_series(1, %(count)s) AS g,
             (SELECT %(words)s::text[] AS w, array_length(%(words)s::text[], 1) AS n) AS vocabulary
        """,
        {"run": run_id, "deal": deal_id, "count": count, "domains": DOMAINS, "words": WORDS},
    )


def load(total: int, deals: int, runs_per_deal: int) -> int:
    """Fill the database once; returns the id of the large deal."""
    from django.db import connection, transaction

    from analysis.models import AnalysisRun, Fact, RunStatus
    from deals.models import Deal

    big = Deal.objects.filter(name="Bench large deal").first()
    existing = Fact.all_objects.count()
    if big and existing >= total:
        print(f"reusing {existing:,} facts already loaded")
        return big.pk
    per_run = max(1, (total - BIG_RUN_FACTS) // (deals * runs_per_deal))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        big = Deal.objects.create(name="Bench large deal", target_name="Large Target", buyer_name="Buyer")
        for number in (1, 2):
            run = AnalysisRun.objects.create(deal=big, number=number, status=RunStatus.COMPLETED, engine="offline")
            insert_facts(cursor, run.pk, big.pk, BIG_RUN_FACTS if number == 2 else per_run)
        for index in range(deals):
            deal = Deal.objects.create(name=f"Bench deal {index}", target_name=f"Target {index}")
            for number in range(1, runs_per_deal + 1):
                run = AnalysisRun.objects.create(deal=deal, number=number, status=RunStatus.COMPLETED, engine="offline")
                insert_facts(cursor, run.pk, deal.pk, per_run)
            if index % 20 == 19:
                print(f"  {index + 1}/{deals} deals loaded", flush=True)
    from analysis.services.search import index_run_facts

    for run_id in AnalysisRun.objects.values_list("pk", flat=True):
        index_run_facts(run_id)  # what each run's finalize does
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analysis_fact")  # a settled table: visibility map set, as in production
    print(f"loaded {Fact.all_objects.count():,} facts in {time.perf_counter() - started:.0f}s")
    return big.pk


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)  # also warms caches; not timed
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    query_count = len(queries)  # read now: the next request's reset_queries() empties the log it reads
    rows = len(response.context["rows"])
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    # The database's share, apart from rendering: the page's statements timed by Django's debug cursor.
    sql = []
    for _ in range(max(5, requests // 4)):
        with CaptureQueriesContext(connection) as captured:
            client.get(url, secure=True)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    return {"url": url, "rows": rows, "queries": query_count, "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1), "sql_p50_ms": round(statistics.median(sql), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page kind")
    parser.add_argument("--reload", action="store_true", help="drop the bench database and load it again")
    args = parser.parse_args()

    ensure_database(DATABASE_URL, drop_first=args.reload)
    os.environ.update({"DATABASE_URL": DATABASE_URL, "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
                       "ALLOWED_HOSTS": "testserver", "DJANGO_SETTINGS_MODULE": "config.settings.local"})
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # response.context for the row counts; the rest of the stack is the production one
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from analysis.models import Fact

    call_command("migrate", verbosity=0, interactive=False)
    big_deal = load(args.facts, args.deals, args.runs)
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True, "is_staff": True})
    client = Client()
    client.force_login(user)
    base = reverse("analysis:facts", args=[big_deal])
    pages = {
        "first page": base,
        "page 200": f"{base}?page=200",
        "filter (domain + entity)": f"{base}?domain=infrastructure&entity=target",
        "full-text search": f"{base}?q=windows+server",
        "search + filter + sort": f"{base}?q=firewall&domain=network&sort=-category",
    }
    results = {name: measure(client, url, args.requests) for name, url in pages.items()}
    total = Fact.all_objects.count()
    print(f"\n{total:,} facts in the database; large run: {BIG_RUN_FACTS:,} facts; {args.requests} requests each")
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'queries':>8} {'rows':>5}")
    for name, r in results.items():
        print(f"{name:28} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['sql_p50_ms']:8.1f} {r['queries']:8d} {r['rows']:5d}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "facts_list.json").write_text(json.dumps({"facts_in_database": total, "pages": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
