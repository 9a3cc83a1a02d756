"""Admin actions of the pipeline: re-queue / cancel many runs, start a batch from selected deals,
re-queue a batch's failed runs. Each calls the one home of its transition in workers/pipeline.py.

Managers only: if the user is not a manager of every selected deal the whole action is refused (403),
so nothing happens half-way."""
from __future__ import annotations

import functools

from django.contrib import admin, messages
from django.utils import timezone

from deals.access import require_role_on_deals
from deals.models import Role
from workers.pipeline import REQUEUEABLE, cancel_run, requeue_failed_in_batch, requeue_run, start_batch

from .models import AnalysisRun, Priority
from .services.runs import RunStateError


def require_manager(user, deal_ids) -> None:
    require_role_on_deals(user, deal_ids, Role.MANAGER)


def refusals_as_messages(action):
    """A refused transition (e.g. the disk preflight) becomes an error message on the changelist,
    not a server error."""

    @functools.wraps(action)
    def wrapper(modeladmin, request, queryset):
        try:
            return action(modeladmin, request, queryset)
        except RunStateError as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)

    return wrapper


def _report(modeladmin, request, results, verb: str) -> None:
    changed = [r for r in results if r.changed]
    refused = [r for r in results if not r.changed]
    if changed:
        modeladmin.message_user(request, f"{len(changed)} run(s) {verb}.", messages.SUCCESS)
    for result in refused[:20]:
        modeladmin.message_user(request, result.message, messages.WARNING)


@admin.action(description="Re-queue selected runs (failed, cancelled, or running with no live worker: only unfinished steps run again)")
@refusals_as_messages
def requeue_runs(modeladmin, request, queryset):
    require_manager(request.user, queryset.values_list("deal_id", flat=True))
    _report(modeladmin, request, [requeue_run(run, actor=request.user) for run in queryset], "re-queued")


@admin.action(description="Cancel selected runs (queued or running)")
def cancel_runs(modeladmin, request, queryset):
    require_manager(request.user, queryset.values_list("deal_id", flat=True))
    _report(modeladmin, request, [cancel_run(run, actor=request.user) for run in queryset], "cancelled")


def _start_batch(modeladmin, request, queryset, priority: str) -> None:
    require_manager(request.user, queryset.values_list("pk", flat=True))
    name = f"{request.user.get_username()} {timezone.now():%Y-%m-%d %H:%M}"
    started = start_batch(list(queryset), name=name, created_by=request.user, priority=priority)
    modeladmin.message_user(
        request,
        f"Batch {started.batch.name}: {len(started.runs)} run(s) queued at {priority} priority"
        + (f"; {len(started.skipped)} deal(s) without documents skipped" if started.skipped else "")
        + f". Progress: /deals/batches/{started.batch.pk}/",
        messages.SUCCESS,
    )


@admin.action(description="Analyse selected deals as a batch (normal priority)")
@refusals_as_messages
def start_batch_normal(modeladmin, request, queryset):
    _start_batch(modeladmin, request, queryset, Priority.NORMAL)


@admin.action(description="Analyse selected deals as a batch (high priority)")
@refusals_as_messages
def start_batch_high(modeladmin, request, queryset):
    _start_batch(modeladmin, request, queryset, Priority.HIGH)


@admin.action(description="Re-queue the failed runs of selected batches")
@refusals_as_messages
def requeue_failed_batch_runs(modeladmin, request, queryset):
    failed = AnalysisRun.objects.filter(batch__in=queryset, status__in=REQUEUEABLE)
    require_manager(request.user, failed.values_list("deal_id", flat=True))
    results = [r for batch in queryset for r in requeue_failed_in_batch(batch, actor=request.user)]
    _report(modeladmin, request, results, "re-queued")
