"""Facts, gaps and findings of the chosen run: django-filter filters, full-text search, sort, pages — in SQL."""
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.views.generic import ListView

from ..filters import filtered
from ..run_context import RunPageMixin

PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)


class IdFirstPaginator(Paginator):
    """Page numbers as usual, but a page reads its rows in two steps inside one query: the page's ids
    (ordered, OFFSET/LIMIT) from the covering list-order index, then only those rows with their joins.
    A deep page (page 200 of a run of 20,000 facts) then skips 10,000 index entries instead of sorting
    and skipping 10,000 whole rows. Links, sort and filters are unchanged."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count) if bottom + self.per_page + self.orphans >= self.count \
            else bottom + self.per_page
        rows = self.object_list
        if isinstance(rows, QuerySet) and bottom > 0:
            ids = rows.values("pk")[bottom:top]
            return Page(rows.filter(pk__in=ids), number, self)
        return Page(rows[bottom:top], number, self)


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
    paginator_class = IdFirstPaginator  # a run may hold tens of thousands of facts (gaps, findings: hundreds)


class GapListView(RunListView):
    kind = "gaps"


class FindingListView(RunListView):
    kind = "findings"
