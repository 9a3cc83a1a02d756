"""Deals, members and documents in the admin, with the pages' rules: a user sees the deals they belong to,
changes a deal or its members only as its manager (through the membership service: last-manager guard),
and every change leaves an audit event."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from audit.services import record_event

from .access import require_role_on_deals
from .admin_scope import DealScopedAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, related_only
from .membership import MembershipError, deal_created, remove_member, set_member_role, would_leave_no_manager
from .models import Deal, DealMembership, Document, DocumentPage, Role


def _audit(event_type: str, request, **kwargs) -> None:
    record_event(event_type, actor=request.user, data={"via": "admin", **kwargs.pop("data", {})}, **kwargs)


def managed_deals(user):
    return Deal.objects.with_role_at_least(user, Role.MANAGER)


def manages(user, deal_id) -> bool:
    return deal_id is not None and managed_deals(user).filter(pk=deal_id).exists()


class MembershipInline(ReadOnlyInline):
    """Who is on the deal, read-only here: members are changed through the membership admin or the
    Members page (both through the membership service)."""

    model = DealMembership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "deal")


@admin.register(Deal)
class DealAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    deal_path = ""
    list_display = ["name", "target_name", "buyer_name", "deal_type", "status", "reference_date", "created_at"]
    list_filter = ["deal_type", "status", "industry"]
    search_fields = ["name", "target_name", "buyer_name"]
    date_hierarchy = "created_at"
    readonly_fields = ["owner", "created_at", "updated_at"]
    inlines = [MembershipInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or manages(request.user, obj.pk))

    def has_delete_permission(self, request, obj=None):
        # Deleting a deal removes its audit trail with it: only a superuser, and it is recorded.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.owner_id is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        if change:
            _audit("deal.changed", request, deal=obj, obj=obj, data={"fields": sorted(form.changed_data)})
        else:  # as on the page: the creator manages it (and so can see it), and the trail says so
            deal_created(obj, request.user, via="admin", fields=sorted(form.changed_data))

    def delete_model(self, request, obj):
        _audit("deal.deleted", request, object_type="Deal", object_id=obj.pk, data={"name": obj.name})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for deal in queryset:
            self.delete_model(request, deal)

    def get_actions(self, request):
        # Batch analysis lives with the pipeline (analysis/admin_actions.py); imported late, pages floor.
        from analysis.admin_actions import start_batch_high, start_batch_normal

        actions = super().get_actions(request)
        for action in (start_batch_normal, start_batch_high):
            actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions


class MembershipForm(forms.ModelForm):
    """Add: a deal the user manages, a user name and a role (as on the Members page). Change: the role."""

    username = forms.CharField(max_length=150, help_text="User name of an active user.")

    class Meta:
        model = DealMembership
        fields = ["deal", "role"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("deal", "username"):
                self.fields.pop(name, None)
        else:
            self.fields["deal"].queryset = managed_deals(request.user)

    def clean_username(self):
        from django.contrib.auth import get_user_model

        username = self.cleaned_data["username"].strip()
        if not get_user_model().objects.filter(username=username, is_active=True).exists():
            raise forms.ValidationError(f"No active user is called {username!r}.")
        return username

    def clean_role(self):
        role = self.cleaned_data["role"]
        if self.instance.pk and would_leave_no_manager(self.instance, role):
            raise forms.ValidationError("A deal keeps at least one manager: make someone else manager first.")
        return role


@admin.register(DealMembership)
class DealMembershipAdmin(DealScopedAdminMixin, admin.ModelAdmin):
    """Membership changes go through deals.membership (manager of that deal only; a deal keeps a manager)."""

    form = MembershipForm
    list_display = ["deal", "user", "role", "created_at"]
    list_select_related = ["deal", "user"]
    list_filter = ["role", related_only("deal")]
    search_fields = ["deal__name", "user__username"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return RequestForm

    def get_fields(self, request, obj=None):
        return ["deal", "user", "role", "created_at"] if obj is not None else ["deal", "username", "role"]

    def get_readonly_fields(self, request, obj=None):
        return ["deal", "user", "created_at"] if obj is not None else []

    def has_add_permission(self, request):
        return super().has_add_permission(request) and managed_deals(request.user).exists()

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or manages(request.user, obj.deal_id))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or (manages(request.user, obj.deal_id) and not would_leave_no_manager(obj)))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A deal the user does not manage is refused outright, not offered as a form error.
        deal_id = request.POST.get("deal") if request.method == "POST" and object_id is None else None
        if deal_id and not (str(deal_id).isdigit() and manages(request.user, int(deal_id))):
            raise PermissionDenied("Adding a member needs the manager role on that deal.")
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one member at a time, through the service
        return actions

    def save_model(self, request, obj, form, change):
        if not manages(request.user, obj.deal_id):
            raise PermissionDenied("Changing members needs the manager role on the deal.")
        username = obj.user.get_username() if change else form.cleaned_data["username"]
        try:
            membership = set_member_role(obj.deal, username, obj.role, actor=request.user, via="admin")
        except MembershipError as exc:
            raise PermissionDenied(str(exc)) from None
        obj.pk, obj.user, obj.created_at = membership.pk, membership.user, membership.created_at

    def delete_model(self, request, obj):
        try:
            remove_member(obj.deal, obj.pk, actor=request.user, via="admin")
        except MembershipError as exc:
            raise PermissionDenied(str(exc)) from None


@admin.register(Document)
class DocumentAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Documents arrive through the upload page and the data-room import; here they are looked at."""

    list_display = ["filename", "deal", "entity", "version", "status", "page_count", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["deal", "uploaded_by"]
    list_filter = ["entity", "status", "content_type", related_only("deal")]
    search_fields = ["filename", "original_name", "sha256"]
    date_hierarchy = "uploaded_at"
    actions = ["requeue_extraction"]

    @admin.action(description="Re-queue text extraction (failed or pending documents)")
    def requeue_extraction(self, request, queryset):
        from workers.document_tasks import requeue_extraction  # pages floor: admin may dispatch work

        require_role_on_deals(request.user, queryset.values_list("deal_id", flat=True), Role.ANALYST,
                              what="selected document's deal")
        count = requeue_extraction(queryset, actor=request.user)
        self.message_user(request, f"Text extraction queued again for {count} document(s).", messages.SUCCESS)


@admin.register(DocumentPage)
class DocumentPageAdmin(DealScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    deal_path = "document__deal"
    list_display = ["document", "number"]
    list_select_related = ["document"]
    list_filter = [related_only("document__deal")]
    search_fields = ["text", "document__filename"]
