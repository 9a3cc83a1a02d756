"""The executive summary: key messages first, then the detail; as an HTML page and as a PDF download."""
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.views.generic import TemplateView, View

from audit.services import record_event
from dealiq.domains import DOMAINS
from deals.models import Entity

from ..exports.summary_pdf import summary_pdf
from ..filters import with_ranks
from ..models import Finding, Gap, Importance, Phase, RunStatus
from ..run_context import RunPageMixin
from ..services import dashboard
from ..services.key_messages import key_messages


class SummaryView(RunPageMixin, TemplateView):
    template_name = "analysis/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.ctx.run
        if run is None or run.status != RunStatus.COMPLETED:
            return context  # the template refuses: a failed or unfinished run has no summary
        numbers = dashboard.domain_and_cost_context(run)
        messages = key_messages(run, numbers)
        context.update(numbers)
        context.update(
            km=messages,
            domain_rows=messages.analysed_rows,  # only the domains this run analysed are graded
            day1_tsa=with_ranks(Finding.objects.for_run(run))
            .filter(phase__in=[Phase.DAY_1, Phase.TSA])
            .order_by("phase", "severity_rank", "id"),
            open_requests=with_ranks(Gap.objects.for_run(run))
            .filter(entity=Entity.TARGET, resolved_at__isnull=True, answered_at__isnull=True,
                    importance__in=[Importance.CRITICAL, Importance.IMPORTANT])
            .order_by("importance_rank", "domain", "id"),
            documents=len(run.document_manifest or []),
            all_domain_count=len(DOMAINS),
        )
        return context


class SummaryPdfView(RunPageMixin, View):
    """The executive summary as a PDF (fpdf2: pure Python, no browser or system library)."""

    def get(self, request, deal_id):
        run = self.ctx.run
        if run is None:
            raise Http404("This deal has no completed run to summarise yet.")
        numbers = dashboard.domain_and_cost_context(run)
        messages = key_messages(run, numbers)
        open_requests = list(
            with_ranks(Gap.objects.for_run(run))
            .filter(entity=Entity.TARGET, resolved_at__isnull=True, answered_at__isnull=True,
                    importance__in=[Importance.CRITICAL, Importance.IMPORTANT])
            .order_by("importance_rank", "domain", "id")[:25]
        )
        pdf = summary_pdf(self.ctx.deal, run, messages, numbers, open_requests, len(run.document_manifest or []))
        record_event("export.downloaded", actor=request.user, deal=self.ctx.deal, run=run, data={"export": "summary.pdf"})
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"{slugify(self.ctx.deal.name) or 'deal'}-run{run.number}-executive-summary.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
