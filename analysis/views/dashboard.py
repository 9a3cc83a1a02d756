"""The deal dashboard (URL name analysis:deal): counts, coverage, costs, overlap, runs, a chart."""
from django.views.generic import TemplateView

from ..run_context import RunPageMixin
from ..services import dashboard


class DashboardView(RunPageMixin, TemplateView):
    template_name = "analysis/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.ctx.run
        if run is None:
            return context
        rows = dashboard.domain_rows(run)
        pivot = dashboard.cost_pivot(run)
        context.update(
            domain_rows=rows,
            phase_costs=dashboard.cost_by_phase(run, pivot),
            cost_total_low=sum(r.cost_low for r in rows),
            cost_total_high=sum(r.cost_high for r in rows),
            currency=dashboard.run_currency(run),
            overlap=dashboard.overlap_map(run),
            chart=dashboard.severity_chart(rows),
            importances=dashboard.IMPORTANCE_ORDER,
            severities=dashboard.SEVERITY_ORDER,
        )
        return context
