"""What a staff user may see and do in the admin, by deal: the same rule as the pages.

- every queryset, foreign-key choice and related list filter is limited to the deals the user is a member
  of (superusers see all): another deal's name never reaches the page;
- an object outside that scope answers 404, like a page (not the admin's "perhaps it was deleted" redirect);
- `ReadOnlyAdminMixin`: records written by the pipeline and the analysts' services (runs, steps, results,
  events) are never edited in the admin; decisions go through the admin actions, which call the services.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import Http404

from .models import Deal


def visible_deals(user):
    return Deal.objects.visible_to(user)


class DealScopedAdminMixin:
    deal_path = "deal"  # lookup from the model to its Deal ("" for Deal itself)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = visible_deals(request.user)
        if self.deal_path == "":
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.deal_path}__in": visible})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices of a deal, or of anything that knows `visible_to`, limited to the user's deals."""
        related = db_field.related_model
        if "queryset" not in kwargs:
            if related is Deal:
                kwargs["queryset"] = visible_deals(request.user)
            elif hasattr(related._default_manager.get_queryset(), "visible_to"):
                kwargs["queryset"] = related._default_manager.get_queryset().visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Outside the user's deals is "no such object", as on the pages.
        raise Http404(f"No {opts.verbose_name} with this id.")


def related_only(field: str):
    """A list filter offering only values present in the (deal-scoped) changelist queryset."""
    return (field, admin.RelatedOnlyFieldListFilter)


class ReadOnlyAdminMixin:
    """Viewable and exportable, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
