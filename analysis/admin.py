from django.contrib import admin

from deals.admin_scope import DealScopedAdminMixin

from . import admin_actions, admin_results

from .models import (
    AnalysisBatch,
    AnalysisRun,
    AuditEvent,
    EngineCall,
    Fact,
    FactFindingLink,
    Finding,
    Gap,
    Notification,
    RunStep,
)


class RunStepInline(admin.TabularInline):
    model = RunStep
    extra = 0
    can_delete = False
    fields = ["domain", "kind", "status", "attempts", "facts_written", "gaps_written", "findings_written", "error"]
    readonly_fields = fields


@admin.register(AnalysisRun)
class AnalysisRunAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "engine", "model", "progress", "fact_count", "gap_count", "finding_count", "cost", "created_at"]
    list_filter = ["status", "engine", "priority", "batch", "deal"]
    search_fields = ["deal__name", "error"]
    date_hierarchy = "created_at"
    readonly_fields = ["document_manifest", "counts", "heartbeat_at", "started_at", "completed_at", "finalize_dispatched_at"]
    inlines = [RunStepInline]
    actions = [admin_actions.requeue_runs, admin_actions.cancel_runs]


@admin.register(RunStep)
class RunStepAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = "run__deal"
    list_display = ["run", "domain", "kind", "status", "attempts", "items_written", "error"]
    list_filter = ["status", "kind", "domain", "run"]
    search_fields = ["error", "run__deal__name"]


@admin.register(AnalysisBatch)
class AnalysisBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "status", "counts", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "priority"]
    search_fields = ["name"]
    actions = [admin_actions.requeue_failed_batch_runs]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(created_by=request.user)


class RunScopedAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    list_select_related = ["run", "deal"]
    date_hierarchy = "created_at"


@admin.register(Fact)
class FactAdmin(RunScopedAdmin):
    list_display = ["item", "entity", "domain", "category", "verification", "verified_in_run", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "entity", "verification", "category"]
    search_fields = ["item", "evidence", "key"]
    readonly_fields = ["key", "run", "deal", "verification", "verified_by", "verified_at", "verification_note",
                       "verified_in_run", "previous_content", "created_at"]
    actions = [admin_results.export_selected_csv("facts"), admin_results.verify_selected, admin_results.reject_selected]


@admin.register(Gap)
class GapAdmin(RunScopedAdmin):
    list_display = ["description", "entity", "domain", "importance", "resolved_at", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "entity", "importance"]
    search_fields = ["description", "key"]
    readonly_fields = ["key", "run", "deal", "resolved_by", "resolved_at", "resolution_note", "created_at"]
    actions = [admin_results.export_selected_csv("gaps"), admin_results.resolve_selected]


@admin.register(Finding)
class FindingAdmin(RunScopedAdmin):
    list_display = ["title", "finding_type", "domain", "severity", "phase", "cost_low", "cost_high", "run"]
    list_filter = [*admin_results.RUN_FILTERS, "domain", "finding_type", "severity", "phase"]
    search_fields = ["title", "description", "key"]
    readonly_fields = ["key", "run", "deal", "created_at"]
    actions = [admin_results.export_selected_csv("findings")]


@admin.register(FactFindingLink)
class FactFindingLinkAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = "finding__deal"
    list_display = ["fact", "finding", "link_type"]
    list_filter = ["link_type", "finding__run"]
    search_fields = ["fact__item", "finding__title"]


@admin.register(EngineCall)
class EngineCallAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = "run__deal"
    list_display = ["run", "step", "model", "request_id", "input_tokens", "output_tokens", "cache_read_input_tokens", "cost", "created_at"]
    list_filter = ["model", "run"]
    search_fields = ["request_id"]


@admin.register(AuditEvent)
class AuditEventAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "event_type", "actor_label", "deal", "run", "severity"]
    list_filter = ["event_type", "severity", "run"]
    search_fields = ["event_type", "actor_label", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "message", "created_at", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["message", "user__username"]
