"""The batch page: progress of a batch's runs (done / running / failed / queued), when it should finish,
and re-queue-all-failed for managers."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from deals.models import Deal, Role
from workers.pipeline import REQUEUEABLE, requeue_failed_in_batch

from ..models import AnalysisBatch, AnalysisRun
from ..services.batches import batch_progress
from ..services.runs import RunStateError


def batch_for(user, batch_id: int) -> AnalysisBatch:
    return get_object_or_404(AnalysisBatch.objects.visible_to(user), pk=batch_id)


class BatchDetailView(LoginRequiredMixin, TemplateView):
    template_name = "analysis/batch_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        batch = batch_for(user, kwargs["batch_id"])
        runs = (
            AnalysisRun.objects.filter(batch=batch, deal__in=Deal.objects.visible_to(user))
            .select_related("deal")
            .order_by("status", "deal__name")
        )
        managed = set(Deal.objects.with_role_at_least(user, Role.MANAGER).values_list("pk", flat=True))
        context.update(
            batch=batch,
            progress=batch_progress(batch),
            runs=runs,
            can_requeue=any(r.status in REQUEUEABLE and r.deal_id in managed for r in runs),
        )
        return context


class BatchRequeueFailedView(LoginRequiredMixin, View):
    def post(self, request, batch_id: int):
        batch = batch_for(request.user, batch_id)
        managed = set(Deal.objects.with_role_at_least(request.user, Role.MANAGER).values_list("pk", flat=True))
        failed = AnalysisRun.objects.filter(batch=batch, status__in=REQUEUEABLE)
        if failed.exists() and not failed.filter(deal_id__in=managed).exists():
            raise PermissionDenied("Re-queueing needs the manager role on the runs' deals.")
        try:
            results = requeue_failed_in_batch(batch, actor=request.user, allowed=lambda run: run.deal_id in managed)
        except RunStateError as exc:  # e.g. the disk preflight
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{sum(r.changed for r in results)} run(s) re-queued.")
        return redirect(reverse("analysis:batch", args=[batch.pk]))
