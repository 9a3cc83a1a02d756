"""Who may do what on a deal. Non-members get 404 (the deal's existence is not revealed)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Deal, Role


def get_deal_for(user, deal_id: int, *, role: str = Role.VIEWER) -> Deal:
    """The deal if `user` is a member with at least `role`: 404 for non-members, 403 for too low a role."""
    deal = Deal.objects.visible_to(user).filter(pk=deal_id).first()
    if deal is None:
        raise Http404("No such deal")
    if not deal.user_has_role(user, role):
        raise PermissionDenied(f"This needs the {Role(role).label.lower()} role on this deal.")
    return deal


def require_role_on_deals(user, deal_ids, role: str, *, what: str = "selected deal") -> None:
    """Admin actions on many rows: `user` needs at least `role` on every deal behind them, or nothing
    happens (403) — one query, whatever the number of deals."""
    deal_ids = set(deal_ids)
    allowed = set(Deal.objects.with_role_at_least(user, role).filter(pk__in=deal_ids).values_list("pk", flat=True))
    if deal_ids - allowed:
        raise PermissionDenied(f"This action needs the {Role(role).label.lower()} role on every {what}.")
