"""Admin helpers for run results (facts, gaps, findings): the "latest completed only" filter, run filters
limited to the user's deals, CSV export of the selected rows, and analyst decisions as actions.

Role rules match the pages: viewers may export; verify/reject/resolve need the analyst role on every
selected row's deal (otherwise the whole action is refused — nothing happens half-way)."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Max, OuterRef, Subquery
from django.http import StreamingHttpResponse

from audit.services import record_download
from deals.access import require_role_on_deals
from deals.models import Role

from .exports.writers import csv_chunks
from .models import AnalysisRun, RunStatus
from .services.verification import reject_fact, resolve_gap, verify_fact


class LatestCompletedRunFilter(admin.SimpleListFilter):
    title = "run scope"
    parameter_name = "run_scope"

    def lookups(self, request, model_admin):
        return [("latest", "Latest completed run of each deal")]

    def queryset(self, request, queryset):
        if self.value() != "latest":
            return queryset
        latest = (
            AnalysisRun.objects.filter(deal=OuterRef("deal"), status=RunStatus.COMPLETED)
            .values("deal").annotate(n=Max("number")).values("n")
        )
        return queryset.filter(run__status=RunStatus.COMPLETED, run__number=Subquery(latest))


RUN_FILTERS = [LatestCompletedRunFilter, ("run", admin.RelatedOnlyFieldListFilter), ("deal", admin.RelatedOnlyFieldListFilter)]


def export_selected_csv(kind: str):
    @admin.action(description=f"Export selected {kind} as CSV")
    def action(modeladmin, request, queryset):
        for deal_id, run_id in queryset.order_by().values_list("deal_id", "run_id").distinct():
            record_download(request.user, deal=deal_id, run=run_id, export=f"admin-selected-{kind}.csv")
        rows = csv_chunks(kind, queryset.select_related("run"), run_number=None)  # the pages' CSV writer
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="selected-{kind}.csv"'
        return response

    action.__name__ = f"export_selected_{kind}"
    return action


def _decision_action(decide, *, note: str, done: str, noun: str, name: str, description: str):
    """An admin action applying one verification service (the same one the pages call) to each row."""

    def action(modeladmin, request, queryset):
        require_role_on_deals(request.user, queryset.values_list("deal_id", flat=True), Role.ANALYST)
        for row in queryset:
            decide(row, request.user, note)
        modeladmin.message_user(request, f"{queryset.count()} {noun}(s) {done}.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description)(action)


verify_selected = _decision_action(verify_fact, note="verified in admin", done="verified", noun="fact",
                                   name="verify_selected", description="Mark selected facts verified")
reject_selected = _decision_action(reject_fact, note="rejected in admin", done="rejected", noun="fact",
                                   name="reject_selected", description="Mark selected facts rejected")
resolve_selected = _decision_action(resolve_gap, note="resolved in admin", done="resolved", noun="gap",
                                    name="resolve_selected", description="Resolve selected gaps")
