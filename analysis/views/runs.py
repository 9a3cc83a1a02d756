"""The run page (step timeline, live progress, usage and cost), its re-queue / cancel buttons, and the
deal's audit trail. Re-queue and cancel are for managers of the deal (403 otherwise, 404 for non-members)
and call the one home of each transition in workers/pipeline.py."""
from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views import View
from django.views.generic import TemplateView

from audit.models import AuditEvent
from audit.services import readable_error
from dealiq.schemas import ItemReport
from deals.access import get_deal_for
from deals.models import Role
from workers.pipeline import cancel_run, requeue_run, start_run

from ..models import ACTIVE_RUN_STATUSES, STEP_ORDER, AnalysisRun, EngineCall, RunStep, StepStatus
from ..services.audit_text import actor_name, describe, event_label
from ..services.lifecycle import can_requeue, last_sign_of_life
from ..services.runs import RunStateError

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

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
    steps = RunStep.objects.for_run(run).select_related("reused_from__run")
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
                "reused_from_run": s.reused_from.run.number if s.reused_from_id and s.reused_from else None,
                "attempts": s.attempts,
                "duration_seconds": s.duration.total_seconds() if s.duration else None,
                "tokens": s.input_tokens + s.output_tokens,
                "items": s.item_summary.to_dict(),  # kept / normalised / dropped, by reason
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
        steps = ordered_steps(run)
        items = ItemReport()
        for step in steps:
            items.add(step.item_summary)
        context.update(
            run=run,
            deal=run.deal,
            steps=steps,
            items=items,
            items_kept=sum(s.items_written for s in steps),
            steps_reused=sum(1 for s in steps if s.status == StepStatus.REUSED),
            is_manager=run.deal.user_has_role(self.request.user, Role.MANAGER),
            can_requeue=can_requeue(run),
            last_sign_of_life=last_sign_of_life(run),  # failed, cancelled, or active with no live worker (stalled)
            can_cancel=run.status in ACTIVE_RUN_STATUSES,
            events=AuditEvent.objects.for_run(run).select_related("actor").order_by("-at", "-id")[:30],
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
    """Analysts and managers start a new run of the deal on the configured engine. Steps whose inputs are
    unchanged since an earlier completed run reuse its results, unless the form's "full run" box is ticked."""

    def post(self, request, deal_id: int):
        deal = get_deal_for(request.user, deal_id, role=Role.ANALYST)
        fresh = request.POST.get("fresh") in ("1", "on", "true")  # the form's "full run" checkbox
        try:
            run = start_run(deal, triggered_by=request.user, fresh=fresh)
        except RunStateError as exc:
            messages.error(request, f"The run was not started: {exc}")
            return redirect(reverse("analysis:deal", args=[deal_id]))
        messages.success(request, f"Run {run.number} started on the {run.engine} engine: this page follows its progress.")
        return redirect(reverse("analysis:run", args=[deal_id, run.number]))


class RunRequeueView(_RunTransitionView):
    def transition(self, run, user):
        return requeue_run(run, actor=user)


class RunCancelView(_RunTransitionView):
    def transition(self, run, user):
        return cancel_run(run, actor=user)


class DealAuditView(LoginRequiredMixin, TemplateView):
    """Every audit event of a deal, newest first, filterable by type, person and date (read-only:
    events are append-only). Actors are user names; details are sentences (services/audit_text.py)."""

    template_name = "analysis/run_audit.html"
    PAGE_SIZES = (50, 100, 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = get_deal_for(self.request.user, kwargs["deal_id"])
        params = self.request.GET
        all_events = AuditEvent.objects.for_deal(deal)
        events = all_events.select_related("run", "actor").order_by("-at", "-id")
        if params.get("type"):
            events = events.filter(event_type=params["type"])
        elif params.get("group"):
            events = events.filter(event_type__startswith=params["group"] + ".")
        if params.get("user") == "system":
            events = events.filter(actor__isnull=True)
        elif params.get("user"):
            events = events.filter(actor__username=params["user"])
        errors = []
        for name, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
            if params.get(name):
                day = parse_date(params[name]) if _ISO_DAY.match(params[name]) else None
                if day is None:
                    errors.append(f"{name}: a date like 2026-03-31")
                else:
                    events = events.filter(**{lookup: day})
        per_page = int(params["per_page"]) if params.get("per_page", "").isdigit() and int(params["per_page"]) in self.PAGE_SIZES else 100
        page = Paginator(events, per_page).get_page(params.get("page"))
        rows = [
            {"event": e, "label": event_label(e.event_type), "actor": actor_name(e), "details": describe(e)}
            for e in page.object_list
        ]
        types = sorted(all_events.order_by().values_list("event_type", flat=True).distinct())
        context.update(
            deal=deal, page=page, page_obj=page, rows=rows, errors=errors, page_sizes=self.PAGE_SIZES,
            types=[(t, event_label(t)) for t in types],
            groups=sorted({t.split(".")[0] for t in types}),
            members=deal.memberships.select_related("user").order_by("user__username"),
        )
        return context
