"""Per-step overhead of DealIQ's pipeline against a bare Celery chord of the same shape, on a real worker.

    .venv/bin/python bench/bench_step_overhead.py [--repeat 5] [--concurrency 6] [--domains 6]

Needs PostgreSQL and Redis. Uses the database `dealiq_bench_steps` (BENCH_STEPS_DATABASE_URL) and Redis
db 13 (BENCH_STEPS_BROKER_URL), queue `dealiq-bench-steps`. In the same invocation:

* **DealIQ**: a small deal (one short page per entity) on the offline engine — the engine's own work is
  a few ms a run, measured below and reported — through one real `celery worker -c 6`: `start_run` →
  the run `completed`, 6 domains × 3 steps + finalize. Wall per step = run wall ÷ 18.
* **bare chord**: the same shape — a chord whose header is 6 chains of 3 no-op tasks, whose body is one
  no-op — on a worker of the same concurrency (with a Redis result backend, which a chord needs).

Medians of `--repeat`. Also reported: SQL statements a step issues (captured in-process, eager, same
deal and code) and, from the step rows, the mean time from claim to done and between a chain's steps.
Writes bench/results/step_overhead.json (git-ignored); exits non-zero if it could not measure.
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

DATABASE_URL = os.environ.get("BENCH_STEPS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealiq_bench_steps")
BROKER_URL = os.environ.get("BENCH_STEPS_BROKER_URL", "redis://127.0.0.1:6379/13")
QUEUE = "dealiq-bench-steps"
GOAL_MS_PER_STEP = 10.0


def configure_environment(media_root: Path) -> None:
    configure_stack(database_url=DATABASE_URL, broker_url=BROKER_URL, media_root=media_root, queue=QUEUE,
                    engine="offline")
    # The bench process publishes the bare chord, which needs a result backend; DealIQ's worker runs without
    # one, as in production (its env drops it below).
    os.environ["CELERY_RESULT_BACKEND"] = BROKER_URL
    os.environ.pop("ANTHROPIC_API_KEY", None)


def step_timings(run) -> tuple[float, float]:
    """Mean ms from claim (started_at) to done (finished_at), and from a step's done to the next step's claim."""
    from analysis.models import STEP_ORDER, RunStep

    steps = {(s.domain, s.kind): s for s in RunStep.objects.filter(run=run)}
    inside = [(s.finished_at - s.started_at).total_seconds() * 1000 for s in steps.values()]
    between = []
    for domain in run.domains:
        for earlier, later in zip(STEP_ORDER, STEP_ORDER[1:]):
            a, b = steps[(domain, earlier)], steps[(domain, later)]
            between.append((b.started_at - a.finished_at).total_seconds() * 1000)
    return statistics.mean(inside), statistics.mean(between)


def statements_per_step(deal, domains: list[str]) -> tuple[float, float]:
    """(SQL statements a step issues, ms of offline engine work a run) — in this process, eager mode."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analysis.models import STEP_ORDER
    from analysis.services.runs import create_run
    from workers.step_runner import execute_step

    run = create_run(deal, engine="offline", domains=domains)
    # A step starts with close_old_connections(): with CONN_MAX_AGE=0 that reconnects, which empties the
    # debug cursor's log mid-capture. Keep the connection for the count (it changes no statement).
    connection.settings_dict["CONN_MAX_AGE"] = None
    counts = []
    for kind in STEP_ORDER:
        for domain in domains:
            with CaptureQueriesContext(connection) as queries:
                outcome = execute_step(run.pk, domain, kind)
            if outcome.status != "done":
                raise SystemExit(f"cannot measure: step {domain}/{kind} ended {outcome.status}: {outcome.detail}")
            # Statements of the step itself; the last reasoning step's finalize (eager: inline) is not one.
            counts.append(len([q for q in queries.captured_queries if "analysis_analysisrun\" SET \"status\" = 'completed'" not in q["sql"]]))
    engine_ms = offline_engine_ms(run, domains)
    return statistics.mean(counts[:-1]), engine_ms


def offline_engine_ms(run, domains: list[str]) -> float:
    """The offline engine's own work for the run's 18 calls (no database writes), for reference."""
    from analysis.services import inputs
    from dealiq.engines.offline import OfflineEngine
    from dealiq.schemas import DiscoveryRequest, ReasoningRequest

    engine = OfflineEngine()
    started = time.perf_counter()
    for domain in domains:
        for entity in ("target", "buyer"):
            engine.discover(DiscoveryRequest(deal=inputs.deal_context(run), domain=domain, entity=entity,
                                             pages=inputs.manifest_pages(run, entity)))
        engine.reason(ReasoningRequest(deal=inputs.deal_context(run), domain=domain,
                                       facts=inputs.fact_records(run, domain), gaps=inputs.gap_records(run, domain)))
    return (time.perf_counter() - started) * 1000


def bare_chord_walls(app, repeat: int, domains: int) -> list[float]:
    from celery import chain, chord, signature

    walls = []
    for _ in range(repeat + 1):  # the first one warms the worker up (imports, connections): not counted
        header = [chain(*(signature("bench.noop", args=(d, k), immutable=True) for k in range(3)))
                  for d in range(domains)]
        started = time.perf_counter()
        result = chord(header)(signature("bench.done"))
        result.get(timeout=60, interval=0.002)
        walls.append(time.perf_counter() - started)
    return walls[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--domains", type=int, default=6)
    args = parser.parse_args()

    media_root = Path(tempfile.mkdtemp(prefix="dealiq-bench-media-"))
    configure_environment(media_root)
    try:
        ensure_database(DATABASE_URL)
    except Exception as exc:  # noqa: BLE001 — no PostgreSQL: cannot measure
        print(f"cannot measure: {exc}", file=sys.stderr)
        return 2
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from analysis.models import RunStatus
    from config.celery_app import app
    from dealiq.domains import DOMAIN_KEYS
    from tests.factories import make_small_deal
    from tests.support.worker import WorkerProcess, reset_broker_connections, wait_for_run
    from workers.pipeline import start_run

    call_command("migrate", verbosity=0, interactive=False)
    try:
        broker = redis.Redis.from_url(BROKER_URL)
        broker.flushdb()
    except redis.RedisError as exc:
        print(f"cannot measure: Redis at {BROKER_URL}: {exc}", file=sys.stderr)
        return 2
    app.conf.update(task_always_eager=False, broker_url=BROKER_URL, task_default_queue=QUEUE)
    reset_broker_connections()
    domains = list(DOMAIN_KEYS)[: args.domains]
    steps = len(domains) * 3

    deal = make_small_deal(f"Step bench {time.time_ns()}")
    log_dir = Path(tempfile.mkdtemp(prefix="dealiq-bench-worker-"))
    node = os.uname().nodename
    dealiq_walls, inside, between = [], [], []
    dealiq_env = {k: v for k, v in os.environ.items() if k != "CELERY_RESULT_BACKEND"}
    worker = WorkerProcess(queue=QUEUE, name=f"bench-steps@{node}", env=dealiq_env,
                           log_path=log_dir / "dealiq.log", concurrency=args.concurrency)
    try:
        worker.start()
        for attempt in range(args.repeat + 1):  # the first run warms the worker up: not counted
            started = time.perf_counter()
            run = wait_for_run(start_run(deal, engine="offline", domains=domains), timeout=120, interval=0.002)
            wall = time.perf_counter() - started
            if run.status != RunStatus.COMPLETED:
                print(worker.log_tail(), file=sys.stderr)
                print(f"cannot measure: run {run.pk} ended {run.status}: {run.error}", file=sys.stderr)
                return 1
            if attempt:
                dealiq_walls.append(wall)
                a, b = step_timings(run)
                inside.append(a)
                between.append(b)
    finally:
        worker.stop()

    bare_env = dict(os.environ)
    bare = WorkerProcess(queue=QUEUE, name=f"bench-bare@{node}", env=bare_env, log_path=log_dir / "bare.log",
                         concurrency=args.concurrency, extra_args=["-I", "bench.bare_tasks"])
    try:
        bare.start()
        bare_walls = bare_chord_walls(app, args.repeat, len(domains))
    except Exception as exc:  # noqa: BLE001
        print(bare.log_tail(), file=sys.stderr)
        print(f"cannot measure the bare chord: {exc}", file=sys.stderr)
        return 1
    finally:
        bare.stop()
        shutil.rmtree(media_root, ignore_errors=True)

    app.conf.update(task_always_eager=True)
    statements, engine_ms = statements_per_step(deal, domains)

    dealiq_ms = statistics.median(dealiq_walls) * 1000 / steps
    bare_ms = statistics.median(bare_walls) * 1000 / steps
    report = {
        "steps_per_run": steps, "repeat": args.repeat, "worker_concurrency": args.concurrency,
        "dealiq_run_wall_ms": round(statistics.median(dealiq_walls) * 1000, 1),
        "bare_chord_wall_ms": round(statistics.median(bare_walls) * 1000, 1),
        "dealiq_ms_per_step": round(dealiq_ms, 2), "bare_chord_ms_per_step": round(bare_ms, 2),
        "overhead_ms_per_step": round(dealiq_ms - bare_ms, 2), "ratio": round(dealiq_ms / bare_ms, 2),
        "statements_per_step": round(statements, 1),
        "claim_to_done_ms": round(statistics.median(inside), 1),
        "between_chain_steps_ms": round(statistics.median(between), 1),
        "offline_engine_ms_per_run": round(engine_ms, 1),
        "goal_ms_per_step": GOAL_MS_PER_STEP,
    }
    print(f"\n{steps} steps a run ({len(domains)} domains × 3) + finalize; worker -c {args.concurrency}; "
          f"medians of {args.repeat}")
    print(f"{'':34} {'run wall ms':>12} {'ms / step':>10}")
    print(f"{'DealIQ (offline engine)':34} {report['dealiq_run_wall_ms']:12.1f} {dealiq_ms:10.2f}")
    print(f"{'bare Celery chord, same shape':34} {report['bare_chord_wall_ms']:12.1f} {bare_ms:10.2f}")
    print(f"overhead over the bare chord: {dealiq_ms - bare_ms:.2f} ms a step (ratio {dealiq_ms / bare_ms:.1f}×); "
          f"goal ≤ {GOAL_MS_PER_STEP:.0f} ms a step")
    print(f"statements a step: {statements:.1f}; claim → done {report['claim_to_done_ms']} ms; between a chain's "
          f"steps {report['between_chain_steps_ms']} ms; offline engine work {engine_ms:.1f} ms a run")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "step_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
