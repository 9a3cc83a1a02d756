"""Fact and finding detail, the source page with the quote highlighted, and the analyst's decisions."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from deals.highlight import highlight
from deals.models import DocumentPage, Role

from ..models import Fact, FactFindingLink, Finding, Gap, Phase, ReviewDecision, Severity
from ..run_context import RunPageMixin
from ..services.reviews import comments_for, review_history, reviewed_values
from ..services.verification import fact_decision_history, reject_fact, reopen_gap, reset_fact, resolve_gap, verify_fact


class FactDetailView(RunPageMixin, TemplateView):
    template_name = "analysis/fact_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fact = get_object_or_404(
            Fact.objects.filter(deal=self.ctx.deal).select_related("run", "document", "verified_by"), pk=self.kwargs["pk"]
        )
        links = FactFindingLink.objects.filter(fact=fact).select_related("finding").order_by("finding__domain", "finding_id")
        history = fact_decision_history(fact)
        context.update(fact=fact, links=links, history=history, first_page=(fact.pages or [None])[0])
        return context


class FindingDetailView(RunPageMixin, TemplateView):
    template_name = "analysis/finding_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        finding = get_object_or_404(
            Finding.objects.filter(deal=self.ctx.deal).select_related("run").prefetch_related(
                Prefetch("fact_links", queryset=FactFindingLink.objects.select_related("fact__document").order_by("fact__entity", "fact_id"))
            ),
            pk=self.kwargs["pk"],
        )
        reviewed = reviewed_values(finding)
        context.update(
            finding=finding,
            reviewed=reviewed,
            history=review_history(finding),
            comments=comments_for(finding),
            members=self.ctx.deal.memberships.select_related("user").order_by("user__username"),
            severities=Severity.choices,
            phases=Phase.choices,
            decisions=ReviewDecision.choices,
        )
        return context


class PageTextView(RunPageMixin, TemplateView):
    """A document page's extracted text; with ?fact=<id> the fact's evidence quote is highlighted."""

    template_name = "analysis/page_text.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = get_object_or_404(
            DocumentPage.objects.select_related("document").filter(document__deal=self.ctx.deal),
            document_id=self.kwargs["document_id"],
            number=self.kwargs["number"],
        )
        fact = None
        quote = self.request.GET.get("q", "")
        if self.request.GET.get("fact", "").isdigit():
            fact = Fact.objects.filter(deal=self.ctx.deal, pk=int(self.request.GET["fact"])).first()
            quote = fact.evidence if fact else quote
        text, found = highlight(page.text, quote, first_id="quote")
        context.update(page=page, document=page.document, fact=fact, quote=quote, text=text, quote_found=bool(found))
        return context


class FactDecisionView(RunPageMixin, View):
    """POST verify / reject / reset a fact (analyst or manager; viewers get 403)."""

    required_role = Role.ANALYST
    actions = {"verify": verify_fact, "reject": reject_fact, "reset": reset_fact}

    def post(self, request, deal_id, pk):
        fact = get_object_or_404(Fact.objects.filter(deal=self.ctx.deal), pk=pk)
        action = self.actions.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, "Unknown action.")
        else:
            try:
                fact = action(fact, request.user, request.POST.get("note", ""))
                messages.success(request, f"Fact marked {fact.get_verification_display().lower()}.")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect(reverse("analysis:fact", args=[deal_id, pk]))


class GapDecisionView(RunPageMixin, View):
    """POST resolve / reopen a gap (analyst or manager)."""

    required_role = Role.ANALYST

    def post(self, request, deal_id, pk):
        gap = get_object_or_404(Gap.objects.filter(deal=self.ctx.deal), pk=pk)
        if request.POST.get("action") == "reopen":
            reopen_gap(gap, request.user, request.POST.get("note", ""))
            messages.success(request, "Gap reopened.")
        else:
            resolve_gap(gap, request.user, request.POST.get("note", ""))
            messages.success(request, "Gap resolved.")
        target = request.POST.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = reverse("analysis:gaps", args=[deal_id])
        return redirect(target)
