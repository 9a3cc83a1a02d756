"""Admin querysets limited to the deals a staff user is a member of (superusers see all)."""
from __future__ import annotations

from .models import Deal


class DealScopedAdminMixin:
    deal_path = "deal"  # lookup from the model to its Deal

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        visible = Deal.objects.visible_to(request.user)
        if self.deal_path == "":
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.deal_path}__in": visible})
