"""The sample deal through the Claude engine on real workers, against the fake Messages API at 500 ms a call.

    .venv/bin/python bench/bench_claude.py [--latency 0.5] [--concurrency 6] [--repeat 1]

Needs the machine's PostgreSQL and Redis (the same ones the test suite uses). It creates (or reuses) the
database `dealiq_bench` (override with BENCH_DATABASE_URL), uses Redis db 14 (BENCH_BROKER_URL), starts
the fake Anthropic server from tests/fakes on loopback with a fixed per-call latency, starts one real
`celery worker` with `--concurrency 6`, then times `start_run` → run COMPLETED for the sample deal.

Reported, and written to bench/results/claude.json (git-ignored):
  - wall time of the run (enqueue to completed), and the number of Messages API calls;
  - prompt tokens sent ÷ document tokens: every input token of every call (uncached + cache write +
    cache read) over the tokens of the deal's document pages, both counted by the fake server's estimator
    (4 characters a token), so the ratio shows how often each document is re-sent;
  - billed input with caching ÷ without: input billed at the price table's multipliers (cache write
    1.25×, cache read 0.1×) over the same tokens billed as plain input.
Targets from issue 5: wall ≤ 5 s, tokens ≤ 15×, caching ratio ≤ 0.4.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres_db import ensure_database  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealiq_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
TARGETS = {"wall_seconds": 5.0, "tokens_sent_per_document_token": 15.0, "billed_input_cached_over_uncached": 0.4}


def configure_environment(media_root: Path) -> None:
    os.environ.update({
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "DEBUG": "1",
        "MEDIA_ROOT": str(media_root),
        "DEALIQ_ENGINE": "anthropic",
        "ANTHROPIC_API_KEY": "sk-ant-fake-bench-key",
        "CELERY_TASK_DEFAULT_QUEUE": "dealiq-bench",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    })


def document_tokens(deal, chars_per_token: float) -> int:
    import math

    from deals.models import DocumentPage

    return sum(math.ceil(len(text) / chars_per_token)
               for text in DocumentPage.objects.filter(document__deal=deal).values_list("text", flat=True))


def billed_input(calls, prices) -> tuple[float, float]:
    """(USD billed for input with caching as recorded, USD for the same tokens billed as uncached input)."""
    from dealiq.engines.anthropic_engine.pricing import price_for

    cached = plain = 0.0
    for call in calls:
        price = price_for(call.model, prices)
        sent = call.input_tokens + call.cache_creation_input_tokens + call.cache_read_input_tokens
        cached += price.input * (call.input_tokens + call.cache_creation_input_tokens * price.cache_write
                                 + call.cache_read_input_tokens * price.cache_read)
        plain += price.input * sent
    return cached, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake server waits per call")
    parser.add_argument("--concurrency", type=int, default=6, help="celery worker processes")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the deal (each on a fresh cache)")
    args = parser.parse_args()

    media_root = Path(tempfile.mkdtemp(prefix="dealiq-bench-media-"))
    configure_environment(media_root)
    ensure_database(DATABASE_URL)

    from tests.fakes.anthropic_server import FakeAnthropicServer

    server = FakeAnthropicServer(latency=args.latency).start()
    os.environ["ANTHROPIC_BASE_URL"] = server.base_url

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from analysis.models import EngineCall, Fact, RunStatus
    from deals.dataroom import deal_from_folder
    from tests.support.worker import WorkerProcess, wait_for_run
    from workers.pipeline import start_run

    call_command("migrate", verbosity=0, interactive=False)
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()  # stale queue messages, warm-up markers and rate-limit windows of an earlier bench

    deal, _ = deal_from_folder(ROOT / "samples" / "sample-deal")
    doc_tokens = document_tokens(deal, server.chars_per_token)
    log_dir = Path(tempfile.mkdtemp(prefix="dealiq-bench-worker-"))
    worker = WorkerProcess(
        queue="dealiq-bench", name=f"bench@{os.uname().nodename}", env=dict(os.environ),
        log_path=log_dir / "worker.log", concurrency=args.concurrency,
    )
    results = []
    try:
        worker.start()
        for attempt in range(args.repeat):
            server.reset()  # a fresh prompt cache: every run pays its own cache writes
            for key in broker.scan_iter("dealiq:warmup:*"):
                broker.delete(key)
            started = time.perf_counter()
            run = wait_for_run(start_run(deal, engine="anthropic"), timeout=300, interval=0.05)
            wall = time.perf_counter() - started
            if run.status != RunStatus.COMPLETED:
                print(worker.log_tail(), file=sys.stderr)
                raise SystemExit(f"run {run.pk} ended {run.status}: {run.error}")
            calls = list(EngineCall.objects.filter(run=run))
            sent = sum(c.input_tokens + c.cache_creation_input_tokens + c.cache_read_input_tokens for c in calls)
            cached, plain = billed_input(calls, settings.ANTHROPIC_PRICES)
            results.append({
                "run": run.pk,
                "wall_seconds": round(wall, 3),
                "calls": len(calls),
                "document_tokens": doc_tokens,
                "prompt_tokens_sent": sent,
                "tokens_sent_per_document_token": round(sent / doc_tokens, 2),
                "billed_input_usd_cached": round(cached / 1e6, 6),
                "billed_input_usd_uncached": round(plain / 1e6, 6),
                "billed_input_cached_over_uncached": round(cached / plain, 3),
                "facts": Fact.objects.for_run(run).count(),
            })
            print(f"run {attempt + 1}: {wall:.2f} s, {len(calls)} calls, "
                  f"{sent / doc_tokens:.1f}x document tokens sent, caching ratio {cached / plain:.3f}")
    finally:
        worker.stop()
        server.stop()
        shutil.rmtree(media_root, ignore_errors=True)

    best = min(results, key=lambda r: r["wall_seconds"])
    report = {
        "latency_per_call_seconds": args.latency,
        "worker_concurrency": args.concurrency,
        "runs": results,
        "best": best,
        "targets": TARGETS,
        "meets_targets": {key: best[key] <= limit for key, limit in TARGETS.items()},
    }
    print(json.dumps({"best": best, "meets_targets": report["meets_targets"]}, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "claude.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(report["meets_targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
