"""Prometheus metrics, read from the database (and the broker) at scrape time.

Why a collector over the database instead of counters incremented in code: the numbers must agree
across gunicorn processes and worker machines, survive restarts, and match the run table — which
is the system of record. A scrape costs a handful of grouped queries on indexed columns.
"""
from __future__ import annotations

import datetime as dt

from celery import current_app as app  # the one app (config/celery_app.py), set current when Django loads
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from analysis.models import AnalysisRun, RunStatus, RunStep, StepKind, StepStatus

from .broker import broker_is_redis, queue_keys, redis_client

STEP_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800)
TOKEN_FIELDS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_creation": "cache_creation_input_tokens",
    "cache_read": "cache_read_input_tokens",
}


def _runs_by_status():
    family = GaugeMetricFamily("dealiq_runs", "Analysis runs by status.", labels=["status"])
    counts = dict(AnalysisRun.objects.order_by().values_list("status").annotate(n=Count("id")))
    for status in RunStatus.values:
        family.add_metric([status], counts.get(status, 0))
    return family


def _steps_by_status():
    family = GaugeMetricFamily("dealiq_steps", "Run steps by kind and status.", labels=["kind", "status"])
    rows = RunStep.objects.order_by().values_list("kind", "status").annotate(n=Count("id"))
    counts = {(kind, status): n for kind, status, n in rows}
    for kind in StepKind.values:
        for status in StepStatus.values:
            family.add_metric([kind, status], counts.get((kind, status), 0))
    return family


def _step_durations():
    family = HistogramMetricFamily(
        "dealiq_step_duration_seconds", "Wall time of finished steps (started → finished).", labels=["kind"]
    )
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    aggregates = {f"le_{b}": Count("id", filter=Q(duration__lte=dt.timedelta(seconds=b))) for b in STEP_DURATION_BUCKETS}
    rows = (
        RunStep.objects.filter(status=StepStatus.DONE, started_at__isnull=False, finished_at__isnull=False)
        .order_by()
        .annotate(duration=duration)
        .values("kind")
        .annotate(total=Count("id"), seconds=Sum("duration"), **aggregates)
    )
    by_kind = {row["kind"]: row for row in rows}
    for kind in StepKind.values:
        row = by_kind.get(kind)
        buckets = [(str(float(b)), row[f"le_{b}"] if row else 0) for b in STEP_DURATION_BUCKETS]
        buckets.append(("+Inf", row["total"] if row else 0))
        total_seconds = row["seconds"].total_seconds() if row and row["seconds"] else 0.0
        family.add_metric([kind], buckets, total_seconds)
    return family


def _retries():
    family = CounterMetricFamily(
        "dealiq_step_retries", "Transient-error retries scheduled, by step kind.", labels=["kind"]
    )
    totals = dict(RunStep.objects.order_by().values_list("kind").annotate(n=Sum("retries")))
    for kind in StepKind.values:
        family.add_metric([kind], totals.get(kind) or 0)
    return family


def _usage():
    tokens = CounterMetricFamily(
        "dealiq_engine_tokens", "Engine tokens used by runs.", labels=["engine", "model", "type"]
    )
    cost = CounterMetricFamily("dealiq_engine_cost_usd", "Engine cost of runs in USD.", labels=["engine", "model"])
    calls = CounterMetricFamily("dealiq_engine_calls", "Engine calls made by runs.", labels=["engine", "model"])
    rows = (
        AnalysisRun.objects.order_by()
        .values("engine", "model")
        .annotate(calls_sum=Sum("calls"), cost_sum=Sum("cost"), **{k: Sum(f) for k, f in TOKEN_FIELDS.items()})
    )
    for row in rows:
        labels = [row["engine"], row["model"] or ""]
        for kind in TOKEN_FIELDS:
            tokens.add_metric([*labels, kind], row[kind] or 0)
        cost.add_metric(labels, float(row["cost_sum"] or 0))
        calls.add_metric(labels, row["calls_sum"] or 0)
    return [tokens, cost, calls]


def _queue_depth():
    family = GaugeMetricFamily("dealiq_queue_depth", "Messages waiting in the broker queue.", labels=["queue"])
    up = GaugeMetricFamily("dealiq_broker_up", "1 if the broker answered the metrics probe.")
    if app.conf.task_always_eager or not broker_is_redis():
        return []
    queue = app.conf.task_default_queue
    try:
        pipe = redis_client(timeout=1.0).pipeline(transaction=False)
        for key in queue_keys(queue):
            pipe.llen(key)
        family.add_metric([queue], sum(pipe.execute()))
        up.add_metric([], 1)
        return [family, up]
    except Exception:
        up.add_metric([], 0)
        return [up]


class DealIQCollector:
    def collect(self):
        yield _runs_by_status()
        yield _steps_by_status()
        yield _step_durations()
        yield _retries()
        yield from _usage()
        yield from _queue_depth()


def render_metrics() -> bytes:
    """The Prometheus text exposition (a fresh registry per scrape: no process-global state)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DealIQCollector())
    return generate_latest(registry)
