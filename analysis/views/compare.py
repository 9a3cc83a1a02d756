"""Run comparison: /deals/<id>/runs/<a>/compare/<b>/ — added, removed and changed by natural key."""
from django.http import Http404
from django.views.generic import TemplateView

from ..models import AnalysisRun
from ..run_context import RunPageMixin
from ..services.comparison import compare_runs

# Rows listed per kind of change (the counts are always complete): a 20,000-fact re-run stays a page.
COMPARE_ROWS_SHOWN = 300


class CompareView(RunPageMixin, TemplateView):
    template_name = "analysis/compare.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = {r.number: r for r in AnalysisRun.objects.for_deal(self.ctx.deal).filter(number__in=[self.kwargs["a"], self.kwargs["b"]])}
        try:
            run_a, run_b = runs[self.kwargs["a"]], runs[self.kwargs["b"]]
        except KeyError:
            raise Http404("deal has no such run") from None
        diff = compare_runs(run_a, run_b)
        context.update(
            run_a=run_a, run_b=run_b, diff=diff, kinds=list(diff.values()),
            row_limit=COMPARE_ROWS_SHOWN, row_slice=f":{COMPARE_ROWS_SHOWN}",
        )
        return context
