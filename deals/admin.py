from django.contrib import admin

from .admin_scope import DealScopedAdminMixin
from .membership import make_manager
from .models import Deal, DealMembership, Document, DocumentPage


class MembershipInline(admin.TabularInline):
    model = DealMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Deal)
class DealAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = ""
    list_display = ["name", "target_name", "buyer_name", "deal_type", "status", "reference_date", "created_at"]
    list_filter = ["deal_type", "status", "industry"]
    search_fields = ["name", "target_name", "buyer_name"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        if not change and obj.owner_id is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        if not change:
            make_manager(obj, request.user)  # as on the page: the creator manages, and so can see it

    def get_actions(self, request):
        # Batch analysis lives with the pipeline (analysis/admin_actions.py); imported late, pages floor.
        from analysis.admin_actions import start_batch_high, start_batch_normal

        actions = super().get_actions(request)
        for action in (start_batch_normal, start_batch_high):
            actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions


@admin.register(DealMembership)
class DealMembershipAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    list_display = ["deal", "user", "role", "created_at"]
    list_filter = ["role", "deal"]
    search_fields = ["deal__name", "user__username"]


@admin.register(Document)
class DocumentAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "deal", "entity", "version", "status", "page_count", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["entity", "status", "content_type", "deal"]
    search_fields = ["filename", "original_name", "sha256"]
    date_hierarchy = "uploaded_at"
    readonly_fields = ["sha256", "size", "uploaded_at", "supersedes", "original_name", "error"]
    actions = ["requeue_extraction"]

    @admin.action(description="Re-queue text extraction (failed or pending documents)")
    def requeue_extraction(self, request, queryset):
        from workers.document_tasks import requeue_extraction  # pages floor: admin may dispatch work

        count = requeue_extraction(queryset, actor=request.user)
        self.message_user(request, f"Text extraction queued again for {count} document(s).")


@admin.register(DocumentPage)
class DocumentPageAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = "document__deal"
    list_display = ["document", "number"]
    list_filter = ["document__deal"]
    search_fields = ["text", "document__filename"]
