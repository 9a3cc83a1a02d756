"""The run page (step timeline, live progress, usage and cost), its re-queue / cancel buttons, and the
deal's audit trail. Re-queue and cancel are for managers of the deal (403 otherwise, 404 for non-members)
and call the one home of each transition in workers/pipeline.py."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from deals.access import get_deal_for
from deals.models import Role
from workers.pipeline import cancel_run, requeue_run, start_run

from ..models import STEP_ORDER, AnalysisRun, AuditEvent, EngineCall, RunStep
from ..services.audit import readable_error
from ..services.runs import RunStateError

ENGINE_CALLS_SHOWN = 100


def run_for(user, deal_id: int, number: int, *, role: str = Role.VIEWER) -> AnalysisRun:
    deal = get_deal_for(user, deal_id, role=role)
    run = AnalysisRun.objects.for_deal(deal).select_related("deal", "batch", "triggered_by").filter(number=number).first()
    if run is None:
        raise Http404(f"deal has no run {number}")
    return run


def ordered_steps(run: AnalysisRun) -> list[RunStep]:
    order = {kind: i for i, kind in enumerate(STEP_ORDER)}
    domain_order = {d: i for i, d in enumerate(run.domains)}
    steps = RunStep.objects.for_run(run)
    return sorted(steps, key=lambda s: (domain_order.get(s.domain, 99), order.get(s.kind, 9)))


def run_status_payload(run: AnalysisRun, steps: list[RunStep]) -> dict:
    return {
        "run": run.number,
        "status": run.status,
        "progress": run.progress,
        "steps_done": run.steps_done,
        "steps_total": run.steps_total,
        "error": readable_error(run.error),
        "calls": run.calls,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "cost": str(run.cost),
        "steps": [
            {
                "domain": s.domain,
                "kind": s.kind,
                "status": s.status,
                "attempts": s.attempts,
                "duration_seconds": s.duration.total_seconds() if s.duration else None,
                "tokens": s.input_tokens + s.output_tokens,
                "error": readable_error(s.error),
            }
            for s in steps
        ],
    }


class RunDetailView(LoginRequiredMixin, TemplateView):
    template_name = "analysis/run_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = run_for(self.request.user, kwargs["deal_id"], kwargs["number"])
        context.update(
            run=run,
            deal=run.deal,
            steps=ordered_steps(run),
            is_manager=run.deal.user_has_role(self.request.user, Role.MANAGER),
            can_requeue=run.status in ("failed", "cancelled"),
            can_cancel=run.status in ("queued", "running"),
            events=AuditEvent.objects.for_run(run).order_by("-at", "-id")[:30],
            engine_calls=EngineCall.objects.filter(run=run).select_related("step")[:ENGINE_CALLS_SHOWN],
        )
        return context


class RunStatusView(LoginRequiredMixin, View):
    """The run page polls this while the run is active."""

    def get(self, request, deal_id: int, number: int):
        run = run_for(request.user, deal_id, number)
        return JsonResponse(run_status_payload(run, ordered_steps(run)))


class _RunTransitionView(LoginRequiredMixin, View):
    def transition(self, run, user):
        raise NotImplementedError

    def post(self, request, deal_id: int, number: int):
        run = run_for(request.user, deal_id, number, role=Role.MANAGER)
        try:
            result = self.transition(run, request.user)
        except RunStateError as exc:  # e.g. not enough disk space to take more work
            messages.error(request, str(exc))
        else:
            (messages.success if result.changed else messages.warning)(request, result.message)
        return redirect(reverse("analysis:run", args=[deal_id, number]))


class RunStartView(LoginRequiredMixin, View):
    """Analysts and managers start a new run of the deal on the configured engine."""

    def post(self, request, deal_id: int):
        deal = get_deal_for(request.user, deal_id, role=Role.ANALYST)
        try:
            run = start_run(deal, triggered_by=request.user)
        except RunStateError as exc:
            messages.error(request, f"The run was not started: {exc}")
            return redirect(reverse("analysis:deal", args=[deal_id]))
        messages.success(request, f"Run {run.number} started on the {run.engine} engine.")
        return redirect(reverse("analysis:run", args=[deal_id, run.number]))


class RunRequeueView(_RunTransitionView):
    def transition(self, run, user):
        return requeue_run(run, actor=user)


class RunCancelView(_RunTransitionView):
    def transition(self, run, user):
        return cancel_run(run, actor=user)


class DealAuditView(LoginRequiredMixin, TemplateView):
    """Every audit event of a deal, newest first (read-only: events are append-only)."""

    template_name = "analysis/run_audit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = get_deal_for(self.request.user, kwargs["deal_id"])
        events = AuditEvent.objects.for_deal(deal).select_related("run").order_by("-at", "-id")
        if self.request.GET.get("type"):
            events = events.filter(event_type=self.request.GET["type"])
        page = Paginator(events, 100).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(deal=deal, page=page, page_obj=page, query_without_page=params.urlencode())
        return context
