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
        context.update(dashboard.domain_and_cost_context(run))
        context.update(
            overlap=dashboard.overlap_map(run),
            chart=dashboard.severity_chart(context["domain_rows"]),
            importances=dashboard.IMPORTANCE_ORDER,
            severities=dashboard.SEVERITY_ORDER,
        )
        return context
