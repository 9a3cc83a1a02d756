"""The deal dashboard (URL name analysis:deal): counts, coverage, costs, a chart; the overlap map and the
runs (with the comparison's A/B picker) on pages of their own."""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from ..models import AnalysisRun, RunStatus
from ..run_context import RunPageMixin
from ..services import dashboard


class DashboardView(RunPageMixin, TemplateView):
    template_name = "analysis/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.ctx.run
        if run is None:
            return context
        context.update(dashboard.domain_and_cost_context(run))
        context.update(
            chart=dashboard.severity_chart(context["domain_rows"]),
            importances=dashboard.IMPORTANCE_ORDER,
            severities=dashboard.SEVERITY_ORDER,
        )
        return context


class OverlapView(RunPageMixin, TemplateView):
    """The target–buyer overlap map of the shown run, on its own page (it can run to thousands of rows)."""

    template_name = "analysis/overlap.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overlap"] = dashboard.overlap_map(self.ctx.run) if self.ctx.run is not None else []
        return context


class RunListView(RunPageMixin, TemplateView):
    """Every run of the deal, and the A/B picker of the comparison."""

    template_name = "analysis/runs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        all_runs = list(AnalysisRun.objects.for_deal(self.ctx.deal).select_related("triggered_by").order_by("-number"))
        completed = [r for r in all_runs if r.status == RunStatus.COMPLETED]
        context.update(
            all_runs=all_runs,
            default_b=completed[0].number if completed else None,
            default_a=completed[1].number if len(completed) > 1 else None,
        )
        return context

    def get(self, request, *args, **kwargs):
        a, b = request.GET.get("a", ""), request.GET.get("b", "")
        if a.isdigit() and b.isdigit():
            if a == b:
                messages.error(request, "Pick two different runs to compare.")
            else:
                return redirect(reverse("analysis:compare", args=[kwargs["deal_id"], int(a), int(b)]))
        return super().get(request, *args, **kwargs)
