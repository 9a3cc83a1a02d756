from django.contrib import admin
from django.http import Http404

from audit.models import AuditEvent
from deals.admin_scope import DealScopedAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, related_only

from . import admin_actions, admin_results
from .models import AnalysisBatch, AnalysisRun, EngineCall, Fact, FactFindingLink, Finding, Gap, Notification, RunStep

# Runs, steps, results and events are written by the pipeline and the analysts' services (which audit);
# in the admin they are read-only, and decisions go through the actions below (the same services).


class RunStepInline(ReadOnlyInline):
    model = RunStep
    fields = ["domain", "kind", "status", "attempts", "facts_written", "gaps_written", "findings_written", "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("run__deal")  # each row's original names its run


@admin.register(AnalysisRun)
class AnalysisRunAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "engine", "model", "progress", "fact_count", "gap_count", "finding_count", "cost", "created_at"]
    list_filter = ["status", "engine", "priority", related_only("batch"), related_only("deal")]
    search_fields = ["deal__name", "error"]
    date_hierarchy = "created_at"
    inlines = [RunStepInline]
    actions = [admin_actions.requeue_runs, admin_actions.cancel_runs]


@admin.register(RunStep)
class RunStepAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    deal_path = "run__deal"
    list_display = ["run", "domain", "kind", "status", "attempts", "items_written", "error"]
    list_select_related = ["run__deal"]
    list_filter = ["status", "kind", "domain", related_only("run")]
    search_fields = ["error", "run__deal__name"]


@admin.register(AnalysisBatch)
class AnalysisBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "priority", "status", "counts", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "priority"]
    search_fields = ["name"]
    actions = [admin_actions.requeue_failed_batch_runs]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)  # as the batch page

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("No such batch.")


class RunScopedAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_select_related = ["run__deal", "deal"]  # a run's name is "<deal> · run N"
    date_hierarchy = "created_at"


@admin.register(Fact)
class FactAdmin(RunScopedAdmin):
    list_display = ["item", "entity", "domain", "category", "verification", "verified_in_run", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "entity", "verification", "category"]
    search_fields = ["item", "evidence", "key"]
    actions = [admin_results.export_selected_csv("facts"), admin_results.verify_selected, admin_results.reject_selected]


@admin.register(Gap)
class GapAdmin(RunScopedAdmin):
    list_display = ["description", "entity", "domain", "importance", "resolved_at", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "entity", "importance"]
    search_fields = ["description", "key"]
    actions = [admin_results.export_selected_csv("gaps"), admin_results.resolve_selected]


@admin.register(Finding)
class FindingAdmin(RunScopedAdmin):
    list_display = ["title", "finding_type", "domain", "severity", "phase", "cost_low", "cost_high", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "finding_type", "severity", "phase"]
    search_fields = ["title", "description", "key"]
    actions = [admin_results.export_selected_csv("findings")]


@admin.register(FactFindingLink)
class FactFindingLinkAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    deal_path = "finding__deal"
    list_display = ["fact", "finding", "link_type"]
    list_filter = ["link_type", related_only("finding__run")]
    search_fields = ["fact__item", "finding__title"]


@admin.register(EngineCall)
class EngineCallAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    deal_path = "run__deal"
    list_display = ["run", "step", "model", "request_id", "input_tokens", "output_tokens", "cache_read_input_tokens", "cost", "created_at"]
    list_select_related = ["run__deal", "step__run__deal"]
    list_filter = ["model", related_only("run")]
    search_fields = ["request_id"]


@admin.register(AuditEvent)
class AuditEventAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Operators read the full detail of an event here (e.g. a failed step's traceback); the pages show
    members one readable line."""

    list_display = ["at", "event_type", "actor_label", "deal", "run", "severity"]
    list_select_related = ["deal", "run__deal"]
    list_filter = ["event_type", "severity", related_only("run")]
    search_fields = ["event_type", "actor_label", "object_id"]
    date_hierarchy = "at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "message", "created_at", "read_at"]
    list_select_related = ["user"]
    list_filter = ["kind", "read_at"]
    search_fields = ["message", "user__username"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("No such notification.")
