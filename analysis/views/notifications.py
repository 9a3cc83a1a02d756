"""The notifications inbox: what finished, failed or was assigned to you; mark read; link to the run."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import ListView

from ..models import Notification
from ..services.notifications import mark_read


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "analysis/notifications.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self):
        qs = Notification.objects.for_user(self.request.user).select_related("deal", "run", "batch")
        if self.request.GET.get("show") == "unread":
            qs = qs.unread()
        return qs.order_by("-created_at", "-id")

    def post(self, request):
        if request.POST.get("all"):
            ids = Notification.objects.for_user(request.user).unread().values_list("pk", flat=True)
        else:
            ids = [int(i) for i in request.POST.getlist("notification") if i.isdigit()]
        count = mark_read(request.user, list(ids))
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
        return redirect(reverse("notifications") + (f"?{request.GET.urlencode()}" if request.GET else ""))
