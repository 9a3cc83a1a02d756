"""Values every page's header needs."""
from __future__ import annotations


def notifications(request) -> dict:
    """The unread count shown in the header (one indexed COUNT, only for signed-in users)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from analysis.models import Notification

    return {"unread_notifications": lambda: Notification.objects.for_user(user).unread().count()}
