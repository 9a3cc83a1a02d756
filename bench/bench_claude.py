"""The Claude engine on real workers against the fake Messages API: critical path, caching, a 40x room.

    .venv/bin/python bench/bench_claude.py [--latency 0.5] [--concurrency 6] [--repeat 3] [--scale 40]

Needs the machine's PostgreSQL and Redis (the same ones the test suite uses). It creates (or reuses) the
database `dealiq_bench` (override with BENCH_DATABASE_URL), uses Redis db 14 (BENCH_BROKER_URL), starts
the fake Anthropic server from tests/fakes on loopback with a fixed per-call latency L (a streamed
answer begins once the prompt is read, after L/10 or --prefill; the leader of a shared cache prefix
streams), starts one real `celery worker --concurrency 6`, then times `start_run` -> run COMPLETED. Measured in this one
invocation, at the default rate limits (DEALIQ_RATE_LIMITS, each run on an empty limiter window):

  1. the sample deal, --repeat times (medians; each run on a fresh prompt cache):
     - run wall / critical path: the critical path is 3 calls per domain chain x L (discover target,
       discover buyer, reason), everything else (claims, saves, cache warm-ups, the broker) is overhead;
     - billed input with caching / without: input billed at the price table's multipliers (cache write
       1.25x, cache read 0.1x) over the same tokens billed as plain input;
     - prompt tokens sent / document tokens (every input token of every call over the deal's pages);
  2. a data room --scale times the sample deal's pages (1.8 M prompt tokens at 40x, mostly cache
     reads), once: wall time, calls, steps that waited for the rate limiter.

Written to bench/results/claude.json (git-ignored). Exit status: 2 when something could not be measured
(a run that did not complete, no calls recorded), 1 when a target was missed, else 0.
Targets (issue 17): run / critical path <= 1.15, billed ratio <= 0.30, the 40x room <= 3 s; tokens sent
<= 15x (issue 5).
"""
from __future__ import annotations

import argparse
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
TARGETS = {
    "run_over_critical_path": 1.15,
    "billed_input_cached_over_uncached": 0.30,
    "tokens_sent_per_document_token": 15.0,
    "scaled_room_wall_seconds": 3.0,
}
CALLS_PER_CHAIN = 3  # discover target -> discover buyer -> reason


def configure_environment(media_root: Path) -> None:
    configure_stack(database_url=DATABASE_URL, broker_url=BROKER_URL, media_root=media_root, queue="dealiq-bench",
                    engine="anthropic")


def document_tokens(deal, chars_per_token: float) -> int:
    import math

    from deals.models import DocumentPage

    return sum(math.ceil(len(text) / chars_per_token)
               for text in DocumentPage.objects.filter(document__deal=deal).values_list("text", flat=True))


def billed_input(calls, prices) -> tuple[float, float]:
    """(USD billed for input with caching as recorded, USD for the same calls' tokens billed as uncached
    input — cache warm-up calls left out of the latter: without caching nobody would send them)."""
    from dealiq.engines.anthropic_engine.pricing import price_for

    cached = plain = 0.0
    for call in calls:
        price = price_for(call.model, prices)
        sent = call.input_tokens + call.cache_creation_input_tokens + call.cache_read_input_tokens
        cached += price.input * (call.input_tokens + call.cache_creation_input_tokens * price.cache_write
                                 + call.cache_read_input_tokens * price.cache_read)
        if not is_warmup(call):  # without caching there would be no cache warm-up call to pay for
            plain += price.input * sent
    return cached, plain


def is_warmup(call) -> bool:
    """A cache warm-up (max_tokens=1): the only calls that answer in a token or so."""
    return call.output_tokens <= 16


def cannot_measure(why: str) -> None:
    print(f"could not measure: {why}", file=sys.stderr)
    raise SystemExit(2)


def scaled_deal(sample, scale: int):
    """A deal whose documents are the sample deal's, `scale` times over (each copy its own document)."""
    import hashlib

    from deals.models import Deal, Document, DocumentPage, DocumentStatus

    deal = Deal.objects.create(
        name=f"{sample.name} x{scale} {time.time_ns()}", target_name=sample.target_name,
        buyer_name=sample.buyer_name, deal_type=sample.deal_type, industry=sample.industry,
    )
    for original in Document.objects.filter(deal=sample).order_by("entity", "filename"):
        texts = list(DocumentPage.objects.filter(document=original).order_by("number").values_list("text", flat=True))
        for copy in range(scale):
            pages = [f"{text}\n(copy {copy + 1} of {original.filename})" for text in texts]
            document = Document.objects.create(
                deal=deal, entity=original.entity, filename=f"{copy + 1:02d}-{original.filename}",
                sha256=hashlib.sha256("\n".join(pages).encode()).hexdigest(), size=sum(map(len, pages)),
                status=DocumentStatus.EXTRACTED, page_count=len(pages),
            )
            DocumentPage.objects.bulk_create(
                [DocumentPage(document=document, number=i, text=text) for i, text in enumerate(pages, 1)]
            )
    return deal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake server takes per call (L)")
    parser.add_argument("--prefill", type=float, default=None, help="seconds for a minimal call (default L/10)")
    parser.add_argument("--concurrency", type=int, default=6, help="celery worker processes")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the sample deal (each on a fresh cache)")
    parser.add_argument("--scale", type=int, default=40, help="the large room: sample pages times this (0: skip)")
    parser.add_argument("--trace", action="store_true", help="print when each Messages API call arrived")
    args = parser.parse_args()

    media_root = Path(tempfile.mkdtemp(prefix="dealiq-bench-media-"))
    configure_environment(media_root)
    ensure_database(DATABASE_URL)

    from tests.fakes.anthropic_server import FakeAnthropicServer

    server = FakeAnthropicServer(latency=args.latency).start()
    server.prefill_latency = args.prefill
    os.environ["ANTHROPIC_BASE_URL"] = server.base_url

    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from analysis.models import EngineCall, Fact, RunStatus, RunStep
    from deals.dataroom_import import deal_from_folder
    from tests.support.worker import WorkerProcess, wait_for_run
    from workers.pipeline import start_run

    call_command("migrate", verbosity=0, interactive=False)
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()  # stale queue messages, warm-up markers and rate-limit windows of an earlier bench

    sample, _ = deal_from_folder(ROOT / "samples" / "sample-deal")
    log_dir = Path(tempfile.mkdtemp(prefix="dealiq-bench-worker-"))
    worker = WorkerProcess(
        queue="dealiq-bench", name=f"bench@{os.uname().nodename}", env=dict(os.environ),
        log_path=log_dir / "worker.log", concurrency=args.concurrency,
    )
    critical = CALLS_PER_CHAIN * args.latency

    def measure(deal, label: str) -> dict:
        server.reset()  # a fresh prompt cache: every run pays its own cache writes
        for key in [*broker.scan_iter("dealiq:warmup:*"), *broker.scan_iter("dealiq:ratelimit:*")]:
            broker.delete(key)  # and an empty rate-limit window (the limits stay the defaults)
        started, started_mono = time.perf_counter(), time.monotonic()
        run = wait_for_run(start_run(deal, engine="anthropic"), timeout=600, interval=0.02)
        wall = time.perf_counter() - started
        if run.status != RunStatus.COMPLETED:
            print(worker.log_tail(), file=sys.stderr)
            cannot_measure(f"{label} run {run.pk} ended {run.status}: {run.error}")
        calls = list(EngineCall.objects.filter(run=run))
        if not calls:
            cannot_measure(f"{label} run {run.pk} recorded no call")
        doc_tokens = document_tokens(deal, server.chars_per_token)
        sent = sum(c.input_tokens + c.cache_creation_input_tokens + c.cache_read_input_tokens for c in calls)
        cached, plain = billed_input(calls, settings.ANTHROPIC_PRICES)
        steps = RunStep.objects.filter(run=run)
        result = {
            "run": run.pk,
            "wall_seconds": round(wall, 3),
            "run_over_critical_path": round(wall / critical, 3),
            "calls": len(calls),
            "warmup_calls": sum(1 for c in calls if is_warmup(c)),
            "document_tokens": doc_tokens,
            "prompt_tokens_sent": sent,
            "tokens_sent_per_document_token": round(sent / doc_tokens, 2),
            "billed_input_cached_over_uncached": round(cached / plain, 3),
            "rate_limit_waits": sum(s.rate_limit_waits for s in steps),
            "facts": Fact.objects.for_run(run).count(),
        }
        if args.trace:
            for request in server.message_requests:
                print(f"  {request.received_at - started_mono:6.3f}s {request.domain or '?':16} {request.entity or '':7}"
                      f" max_tokens={request.body.get('max_tokens')}")
        print(f"{label}: {wall:.2f} s = {wall / critical:.2f}x the critical path, {len(calls)} calls "
              f"({result['warmup_calls']} warm-ups), {sent:,} prompt tokens = {sent / doc_tokens:.1f}x documents, "
              f"caching ratio {cached / plain:.3f}, rate-limit waits {result['rate_limit_waits']}")
        return result

    try:
        worker.start()
        runs = [measure(sample, f"sample run {i + 1}") for i in range(args.repeat)]
        scaled = measure(scaled_deal(sample, args.scale), f"{args.scale}x room") if args.scale else None
    finally:
        worker.stop()
        server.stop()
        shutil.rmtree(media_root, ignore_errors=True)

    def median(key):
        return round(statistics.median(r[key] for r in runs), 3)

    summary = {
        "run_over_critical_path": median("run_over_critical_path"),
        "sample_wall_seconds": median("wall_seconds"),
        "billed_input_cached_over_uncached": median("billed_input_cached_over_uncached"),
        "tokens_sent_per_document_token": median("tokens_sent_per_document_token"),
    }
    if scaled:
        summary["scaled_room_wall_seconds"] = scaled["wall_seconds"]
        summary["scaled_room_prompt_tokens"] = scaled["prompt_tokens_sent"]
    met = {key: summary[key] <= limit for key, limit in TARGETS.items() if key in summary}
    report = {
        "latency_per_call_seconds": args.latency,
        "prefill_seconds": server.latency / 10 if args.prefill is None else args.prefill,
        "critical_path_seconds": critical,
        "worker_concurrency": args.concurrency,
        "rate_limits": settings.DEALIQ_RATE_LIMITS,
        "runs": runs,
        "scaled_room": scaled,
        "summary": summary,
        "targets": TARGETS,
        "meets_targets": met,
    }
    print(json.dumps({"summary": summary, "meets_targets": met}, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "claude.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
