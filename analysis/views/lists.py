"""Facts, gaps and findings of the chosen run: django-filter filters, full-text search, sort, pages — in SQL."""
from django.views.generic import ListView

from ..filters import filtered
from ..run_context import RunPageMixin

PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)


class RunListView(RunPageMixin, ListView):
    kind = ""
    paginate_by = PAGE_SIZE
    context_object_name = "rows"

    def get_paginate_by(self, queryset):
        raw = self.request.GET.get("per_page", "")
        return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else PAGE_SIZE

    def get_template_names(self):
        return [f"analysis/{self.kind}_list.html"]

    def get_queryset(self):
        if self.ctx.run is None:
            self.filterset = None  # no completed run yet: nothing to list
            return []
        self.filterset, qs = filtered(self.kind, self.ctx.run, self.request.GET)
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(kind=self.kind, filter=self.filterset, page_sizes=PAGE_SIZES,
                       active_menu=self.kind)
        return context


class FactListView(RunListView):
    kind = "facts"


class GapListView(RunListView):
    kind = "gaps"


class FindingListView(RunListView):
    kind = "findings"
