"""The run a page shows, decided in one place.

Deal from the URL (membership checked: 404 otherwise); run = `?run=N` or the latest completed run that
covered every domain (AnalysisRun.objects.default_for). An in-progress run is never mixed into the page; a
banner says when a newer run is running or failed, and when the shown run is partial.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from deals.access import get_deal_for
from deals.models import Deal, Role, role_at_least

from .models import AnalysisRun, RunStatus


@dataclass(frozen=True)
class RunContext:
    deal: Deal
    run: AnalysisRun | None
    newer_run: AnalysisRun | None  # a run after the shown one that is not completed (banner)
    role: str
    explicit: bool  # ?run=N was given

    @property
    def can_edit(self) -> bool:
        return role_at_least(self.role, Role.ANALYST)

    @property
    def is_manager(self) -> bool:
        return role_at_least(self.role, Role.MANAGER)

    @property
    def run_query(self) -> str:
        """The `run=N` parameter links carry to stay on an explicitly chosen run ("" for the default)."""
        return f"run={self.run.number}" if self.explicit and self.run is not None else ""


def resolve_run_context(request, deal_id: int, *, role: str = Role.VIEWER) -> RunContext:
    deal = get_deal_for(request.user, deal_id, role=role)
    requested = request.GET.get("run")
    if requested:
        try:
            number = int(requested)
        except ValueError:
            raise Http404("run must be a number") from None
        run = AnalysisRun.objects.filter(deal=deal, number=number).first()
        if run is None:
            raise Http404(f"deal has no run {number}")
    else:
        run = AnalysisRun.objects.default_for(deal)
    newer = AnalysisRun.objects.for_deal(deal).exclude(status=RunStatus.COMPLETED)
    if run is not None:
        newer = newer.filter(number__gt=run.number)
    return RunContext(
        deal=deal,
        run=run,
        newer_run=newer.order_by("-number").first(),
        role=deal.role_of(request.user),
        explicit=bool(requested),
    )


class RunContextMixin:
    """For class-based views under /deals/<deal_id>/: sets self.ctx and puts it in the template."""

    required_role = Role.VIEWER

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.ctx = resolve_run_context(request, kwargs["deal_id"], role=self.required_role)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["ctx"] = self.ctx
        context["deal"] = self.ctx.deal
        context["run"] = self.ctx.run
        context["runs"] = AnalysisRun.objects.for_deal(self.ctx.deal).order_by("-number")[:20]
        context["run_query"] = self.ctx.run_query
        return context


class RunPageMixin(LoginRequiredMixin, RunContextMixin):
    """Login first (anonymous → login page), then the run context (non-member → 404, too low a role → 403)."""
