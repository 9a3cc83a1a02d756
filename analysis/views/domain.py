"""One domain of the chosen run: its counts and coverage, findings, gaps, facts and overlap."""
from django.http import Http404
from django.views.generic import TemplateView

from dealiq.domains import DOMAINS_BY_KEY

from ..filters import with_ranks
from ..models import Fact, Finding, Gap
from ..run_context import RunPageMixin
from ..services import dashboard
from ..services.reviews import with_reviewed_values

DOMAIN_PAGE_LIMIT = 100  # per kind; the full, filterable lists are one click away


class DomainView(RunPageMixin, TemplateView):
    template_name = "analysis/domain.html"

    def get_context_data(self, **kwargs):
        domain = DOMAINS_BY_KEY.get(self.kwargs["domain"])
        if domain is None:
            raise Http404("unknown domain")
        context = super().get_context_data(**kwargs)
        context["domain"] = domain
        run = self.ctx.run
        if run is None:
            return context
        row = next(r for r in dashboard.domain_rows(run) if r.key == domain.key)
        findings = with_ranks(with_reviewed_values(Finding.objects.for_run(run).for_domain(domain.key))).order_by("severity_rank", "phase", "id")
        gaps = with_ranks(Gap.objects.for_run(run).for_domain(domain.key).select_related("document", "answer_document")).order_by("importance_rank", "entity", "id")
        facts = Fact.objects.for_run(run).for_domain(domain.key).select_related("document").order_by("entity", "category", "id")
        context.update(
            row=row,
            findings=findings[:DOMAIN_PAGE_LIMIT],
            gaps=gaps[:DOMAIN_PAGE_LIMIT],
            facts=facts[:DOMAIN_PAGE_LIMIT],
            limit=DOMAIN_PAGE_LIMIT,
            currency=dashboard.run_currency(run),
            overlap=[o for o in dashboard.overlap_map(run) if o.domain == domain.label],
            severities=dashboard.SEVERITY_ORDER,
            importances=dashboard.IMPORTANCE_ORDER,
        )
        return context
