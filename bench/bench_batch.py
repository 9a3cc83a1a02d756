"""An overnight batch at the provider's rate limit: does DealIQ use the limit it is given?

    .venv/bin/python bench/bench_batch.py [--deals 200] [--rate 60] [--period 10] [--latency 0.05]
                                          [--concurrency 6] [--domains network]

Starts the fake Messages API on loopback (fixed latency a call), one real `celery worker`, and a batch of
`--deals` small deals (one short document per party) through the Claude engine with the limiter set to
`--rate` requests per `--period` seconds (DEALIQ_RATE_LIMITS / DEALIQ_RATE_LIMIT_PERIOD_SECONDS; no token
limit). The worker could make far more calls than the limit allows (concurrency ÷ latency), so the limit
is what binds; the question is how much of it the pipeline wastes in throttled retries and gaps.

Printed, measured in this one invocation:
  - throughput ÷ R: Messages API calls a second over the busy span (first call to last) ÷ the limit a
    second (goal ≥ 0.9);
  - the worst and median queue wait: a run's creation to its first step's start;
  - the busiest window of one period (calls in any `--period` seconds) as the server saw them, against R.
Exits 1 when the throughput goal is missed, 2 when it could not measure (a run failed, the services are missing).
Uses the database `dealiq_bench` (BENCH_DATABASE_URL) and Redis db 14 (BENCH_BROKER_URL).
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres_db import ensure_database  # noqa: E402
from bench.stack_env import configure_stack  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealiq_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
GOAL_THROUGHPUT_OVER_RATE = 0.9


def busiest_window(times: list[float], period: float) -> int:
    """The most calls that fell inside any window of `period` seconds."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + period) - i for i, t in enumerate(ordered)), default=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--rate", type=int, default=60, help="requests allowed per period (R)")
    parser.add_argument("--period", type=float, default=10.0, help="the limiter's period in seconds")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake server takes a call")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--domains", default="network", help="comma-separated domains each run analyses")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    media_root = Path(tempfile.mkdtemp(prefix="dealiq-bench-media-"))
    configure_stack(
        database_url=DATABASE_URL, broker_url=BROKER_URL, media_root=media_root, queue="dealiq-bench-batch",
        engine="anthropic", DEALIQ_RATE_LIMITS=f"anthropic={args.rate}/0",
        DEALIQ_RATE_LIMIT_PERIOD_SECONDS=str(args.period), DEALIQ_DEAL_REASONING="1",
    )
    try:
        ensure_database(DATABASE_URL)
    except Exception as exc:  # noqa: BLE001 — any reason the database is unusable means "could not measure"
        print(f"could not measure: PostgreSQL unavailable ({exc})", file=sys.stderr)
        return 2

    from tests.fakes.anthropic_server import FakeAnthropicServer

    server = FakeAnthropicServer(latency=args.latency).start()
    os.environ["ANTHROPIC_BASE_URL"] = server.base_url

    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db.models import Min

    from analysis.models import AnalysisRun, RunStatus, RunStep
    from tests.factories import make_small_deal
    from tests.support.worker import WorkerProcess
    from workers.pipeline import start_batch

    call_command("migrate", verbosity=0, interactive=False)
    try:
        redis.Redis.from_url(BROKER_URL).flushdb()  # queues, warm-up markers and rate windows of an earlier bench
    except redis.RedisError as exc:
        print(f"could not measure: Redis unavailable ({exc})", file=sys.stderr)
        return 2

    stamp = int(time.time())
    deals = [make_small_deal(f"Batch {stamp}-{i:03d}") for i in range(args.deals)]
    domains = [d.strip() for d in args.domains.split(",") if d.strip()]
    log_dir = Path(tempfile.mkdtemp(prefix="dealiq-bench-worker-"))
    worker = WorkerProcess(queue="dealiq-bench-batch", name=f"bench-batch@{os.uname().nodename}",
                           env=dict(os.environ), log_path=log_dir / "worker.log", concurrency=args.concurrency)
    try:
        worker.start()
        server.reset()
        started = time.monotonic()
        batch = start_batch(deals, name=f"bench {stamp}", engine="anthropic", domains=domains).batch
        runs = AnalysisRun.objects.filter(batch=batch)
        while runs.exclude(status__in=[RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED]).exists():
            if time.monotonic() - started > args.timeout:
                print(worker.log_tail(), file=sys.stderr)
                print(f"could not measure: batch not finished after {args.timeout:.0f} s", file=sys.stderr)
                return 2
            time.sleep(0.5)
        wall = time.monotonic() - started
        failed = list(runs.exclude(status=RunStatus.COMPLETED).values_list("pk", "status", "error"))
        if failed:
            print(worker.log_tail(), file=sys.stderr)
            print(f"could not measure: {len(failed)} run(s) did not complete, e.g. {failed[:3]}", file=sys.stderr)
            return 2
        times = [r.received_at for r in server.message_requests]
        first_starts = dict(RunStep.objects.filter(run__batch=batch).values("run").annotate(first=Min("started_at"))
                            .values_list("run", "first"))
        waits = [(first_starts[run.pk] - run.created_at).total_seconds() for run in runs if first_starts.get(run.pk)]
    finally:
        worker.stop()
        server.stop()
        shutil.rmtree(media_root, ignore_errors=True)

    if len(times) < 2:
        print("could not measure: fewer than two Messages API calls", file=sys.stderr)
        return 2
    span = max(times) - min(times)
    rate_per_second = args.rate / args.period
    throughput = (len(times) - 1) / span if span > 0 else float("inf")
    report = {
        "deals": args.deals, "domains": domains, "rate": f"{args.rate} per {args.period:g} s",
        "latency_seconds": args.latency, "worker_concurrency": args.concurrency,
        "calls": len(times), "wall_seconds": round(wall, 1), "busy_span_seconds": round(span, 1),
        "throughput_calls_per_second": round(throughput, 3), "rate_per_second": round(rate_per_second, 3),
        "throughput_over_rate": round(throughput / rate_per_second, 3),
        "busiest_window_calls": busiest_window(times, args.period),
        "queue_wait_seconds": {"median": round(statistics.median(waits), 1), "worst": round(max(waits), 1)},
    }
    # The goal (issue 17) is the throughput; the busiest window is reported beside it: the limiter counts
    # a call when it grants it, the server when the call arrives, and on a loaded machine the two differ.
    report["limit_held_at_the_server"] = report["busiest_window_calls"] <= args.rate
    report["meets_goal"] = report["throughput_over_rate"] >= GOAL_THROUGHPUT_OVER_RATE
    print(json.dumps(report, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["meets_goal"] else 1


if __name__ == "__main__":
    sys.exit(main())
