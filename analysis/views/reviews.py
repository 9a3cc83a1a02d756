"""POST a review (override, accept, dismiss, assign, reopen) or a comment on a finding: analysts and
managers (viewers 403, non-members 404). The one home of each is analysis/services/reviews.py."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import View

from deals.models import Role

from ..models import Finding
from ..run_context import RunPageMixin
from ..services.reviews import ReviewInput, comment_on_finding, review_finding


def _amount(raw: str, label: str) -> int | None:
    text = (raw or "").replace(",", "").replace(" ", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(f"The {label} cost must be a whole amount, like 120000.")
    return int(text)


class _FindingActionView(RunPageMixin, View):
    required_role = Role.ANALYST

    def finding(self, pk: int) -> Finding:
        return get_object_or_404(Finding.objects.filter(deal=self.ctx.deal).select_related("run"), pk=pk)

    def back(self, finding: Finding):
        url = reverse("analysis:finding", args=[finding.deal_id, finding.pk])
        if self.ctx.run_query:
            url += f"?{self.ctx.run_query}"
        return redirect(url + "#review")


class FindingReviewView(_FindingActionView):
    def post(self, request, deal_id: int, pk: int):
        finding = self.finding(pk)
        try:
            data = ReviewInput(
                decision=request.POST.get("decision", ""),
                severity=request.POST.get("severity", ""),
                phase=request.POST.get("phase", ""),
                cost_low=_amount(request.POST.get("cost_low", ""), "low"),
                cost_high=_amount(request.POST.get("cost_high", ""), "high"),
                owner=request.POST.get("owner", "").strip(),
                reason=request.POST.get("reason", ""),
            )
            review_finding(finding, request.user, data)
        except ValidationError as exc:
            messages.error(request, "The review was not saved: " + " ".join(exc.messages))
        else:
            messages.success(request, "Review saved. It applies to this finding in this run and in later runs.")
        return self.back(finding)


class FindingCommentView(_FindingActionView):
    def post(self, request, deal_id: int, pk: int):
        finding = self.finding(pk)
        try:
            comment_on_finding(finding, request.user, request.POST.get("text", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Comment added.")
        return self.back(finding)
