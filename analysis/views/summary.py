"""The executive summary: one HTML page that prints well to PDF."""
from django.views.generic import TemplateView

from ..filters import with_ranks
from ..models import Finding, FindingType, Gap, Importance, Phase, RunStatus
from ..run_context import RunPageMixin
from ..services import dashboard

TOP_RISKS = 10


class SummaryView(RunPageMixin, TemplateView):
    template_name = "analysis/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.ctx.run
        if run is None or run.status != RunStatus.COMPLETED:
            return context  # the template refuses: a failed or unfinished run has no summary
        findings = with_ranks(Finding.objects.for_run(run))
        context.update(dashboard.domain_and_cost_context(run))
        context.update(
            top_risks=findings.filter(finding_type=FindingType.RISK).order_by("severity_rank", "-cost_high", "id")[:TOP_RISKS],
            day1_tsa=findings.filter(phase__in=[Phase.DAY_1, Phase.TSA]).order_by("phase", "severity_rank", "id"),
            open_requests=with_ranks(Gap.objects.for_run(run))
            .filter(entity="target", resolved_at__isnull=True, importance__in=[Importance.CRITICAL, Importance.IMPORTANT])
            .order_by("importance_rank", "domain", "id"),
            documents=len(run.document_manifest or []),
        )
        return context
