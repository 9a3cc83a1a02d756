"""Creating a deal: its creator manages it. One home for the page, the admin and the data-room import."""
from __future__ import annotations

from django.db import transaction

from .models import Deal, DealMembership, Role


def make_manager(deal: Deal, user) -> None:
    """`user` manages `deal` (kept as it is if already a member: a role is never lowered here)."""
    if getattr(user, "is_authenticated", False):
        DealMembership.objects.get_or_create(deal=deal, user=user, defaults={"role": Role.MANAGER})


@transaction.atomic
def create_deal(*, owner, **fields) -> Deal:
    """A new deal owned and managed by `owner` — without the membership a non-superuser could not even
    see the deal they just made."""
    deal = Deal.objects.create(owner=owner if getattr(owner, "is_authenticated", False) else None, **fields)
    make_manager(deal, owner)
    return deal
