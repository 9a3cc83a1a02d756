"""Who is on a deal: creating one (its creator manages it) and managing its members.

One home for the pages, the admin and the data-room import; each change records its audit event in its
own transaction (`via` says which door it came through when not the pages, e.g. "admin")."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import record_event

from .models import Deal, DealMembership, Role


def make_manager(deal: Deal, user) -> None:
    """`user` manages `deal` (kept as it is if already a member: a role is never lowered here)."""
    if getattr(user, "is_authenticated", False):
        DealMembership.objects.get_or_create(deal=deal, user=user, defaults={"role": Role.MANAGER})


@transaction.atomic
def create_deal(*, owner, via: str = "", **fields) -> Deal:
    """A new deal owned and managed by `owner` — without the membership a non-superuser could not even
    see the deal they just made."""
    deal = Deal.objects.create(owner=owner if getattr(owner, "is_authenticated", False) else None, **fields)
    deal_created(deal, owner, via=via, fields=sorted(fields))
    return deal


@transaction.atomic
def deal_created(deal: Deal, creator, *, via: str = "", fields=()) -> None:
    """What follows a new deal wherever it was saved (create_deal; the admin's own form saves the row
    itself): its creator manages it, and the audit trail says who made it."""
    make_manager(deal, creator)
    record_event("deal.created", actor=creator, deal=deal, obj=deal, data=_via({"fields": list(fields)}, via))


def _via(data: dict, via: str) -> dict:
    return {"via": via, **data} if via else data


class MembershipError(ValueError):
    """A membership change that cannot be made; the message says why."""


@transaction.atomic
def set_member_role(deal: Deal, username: str, role: str, *, actor=None, via: str = "") -> DealMembership:
    """Add the user called `username` to the deal with `role`, or change their role."""
    if role not in Role.values:
        raise MembershipError(f"unknown role {role!r}: viewer, analyst or manager")
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise MembershipError(f"no active user is called {username.strip()!r}")
    membership = DealMembership.objects.select_for_update().filter(deal=deal, user=user).first()
    if membership is None:
        membership = DealMembership.objects.create(deal=deal, user=user, role=role)
    else:
        if membership.role == Role.MANAGER and role != Role.MANAGER:
            _keep_a_manager(deal, leaving=membership)
        membership.role = role
        membership.save(update_fields=["role"])
    record_event("membership.set", actor=actor, deal=deal, obj=membership,
                 data=_via({"user": user.get_username(), "role": role}, via))
    return membership


@transaction.atomic
def remove_member(deal: Deal, membership_id: int, *, actor=None, via: str = "") -> DealMembership:
    membership = DealMembership.objects.select_for_update().filter(deal=deal, pk=membership_id).first()
    if membership is None:
        raise MembershipError("no such member of this deal")
    if membership.role == Role.MANAGER:
        _keep_a_manager(deal, leaving=membership)
    membership.delete()
    record_event("membership.removed", actor=actor, deal=deal, object_type="DealMembership",
                 object_id=membership_id, data=_via({"user": membership.user.get_username()}, via))
    return membership


def would_leave_no_manager(membership: DealMembership, new_role: str | None = None) -> bool:
    """True when changing `membership` to `new_role` (None: removing it) would leave its deal without a
    manager: for forms, to say so before the change (the change itself checks again under lock)."""
    if membership.role != Role.MANAGER or new_role == Role.MANAGER:
        return False
    return not DealMembership.objects.filter(deal_id=membership.deal_id, role=Role.MANAGER).exclude(pk=membership.pk).exists()


def _keep_a_manager(deal: Deal, *, leaving: DealMembership) -> None:
    others = DealMembership.objects.select_for_update().filter(deal=deal, role=Role.MANAGER).exclude(pk=leaving.pk)
    if not others.exists():
        raise MembershipError("a deal keeps at least one manager: make someone else manager first")
