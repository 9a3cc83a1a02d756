"""Downloads of the chosen run (latest completed unless ?run=N), filtered like the list pages.

/deals/<id>/exports/<kind>.<csv|json>   kind = facts | gaps | findings
/deals/<id>/exports/workbook.xlsx       findings (reviewed values), facts, gaps, VDR requests, cost roll-up
/deals/<id>/exports/vdr-requests.<csv|xlsx>  target gaps as numbered questions to the seller, with status
/deals/<id>/exports/summary.pdf         the executive summary
"""
from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.text import slugify
from django.views.generic import View

from audit.services import record_download
from dealiq.domains import DOMAINS
from deals.models import Entity

from ..exports.cost_rollup import cost_rollup_rows
from ..exports.writers import csv_chunks, json_chunks, write_workbook
from ..filters import FILTER_FOR_KIND, base_queryset, filtered
from ..run_context import RunPageMixin
from ..services.reviews import with_reviewed_values

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOMAIN_RANK = Case(*(When(domain=d.key, then=Value(i)) for i, d in enumerate(DOMAINS)), default=Value(99),
                   output_field=IntegerField())


def vdr_queryset(run, data):
    """The target's gaps (questions to the seller) of every status, grouped by domain in the catalogue's
    order and by priority, most important first; the gaps list's filters apply."""
    qs = (
        base_queryset("gaps", run)
        .filter(entity=Entity.TARGET)
        .with_vdr_status()
        .annotate(domain_rank=DOMAIN_RANK)
        .order_by("domain_rank", "importance_rank", "id")
    )
    filterset = FILTER_FOR_KIND["gaps"](data, queryset=qs)
    return filterset.qs.order_by("domain_rank", "importance_rank", "id") if filterset.is_valid() else qs.none()


class _ExportView(RunPageMixin, View):
    def run_or_404(self):
        if self.ctx.run is None:
            raise Http404("This deal has no completed run to export yet.")
        return self.ctx.run

    def filename(self, name: str, ext: str) -> str:
        return f"{slugify(self.ctx.deal.name) or 'deal'}-run{self.ctx.run.number}-{name}.{ext}"

    def audit(self, what: str):
        record_download(self.request.user, deal=self.ctx.deal, run=self.ctx.run, export=what,
                        filters=dict(self.request.GET.items()))


class KindExportView(_ExportView):
    def get(self, request, deal_id, kind, fmt):
        if kind not in ("facts", "gaps", "findings") or fmt not in ("csv", "json"):
            raise Http404("Exports: facts, gaps or findings as .csv or .json.")
        run = self.run_or_404()
        _, qs = filtered(kind, run, request.GET)
        self.audit(f"{kind}.{fmt}")
        if fmt == "csv":
            response = StreamingHttpResponse(csv_chunks(kind, qs, run.number), content_type="text/csv; charset=utf-8")
        else:
            meta = {"deal": self.ctx.deal.name, "deal_id": self.ctx.deal.pk, "run": run.number, "kind": kind}
            response = StreamingHttpResponse(json_chunks(kind, qs, run.number, meta), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{self.filename(kind, fmt)}"'
        return response


class WorkbookExportView(_ExportView):
    def get(self, request, deal_id):
        run = self.run_or_404()
        findings = with_reviewed_values(filtered("findings", run, request.GET)[1])
        sheets = [
            ("Findings", "findings", findings),
            ("Facts", "facts", filtered("facts", run, request.GET)[1]),
            ("Gaps", "gaps", filtered("gaps", run, request.GET)[1]),
            ("VDR requests", "vdr", vdr_queryset(run, request.GET)),
            ("Cost roll-up", "costs", cost_rollup_rows(findings)),
        ]
        self.audit("workbook.xlsx")
        return FileResponse(write_workbook(sheets, run.number), as_attachment=True, filename=self.filename("analysis", "xlsx"), content_type=XLSX)


class VdrExportView(_ExportView):
    def get(self, request, deal_id, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404("The VDR request list comes as .csv or .xlsx.")
        run = self.run_or_404()
        qs = vdr_queryset(run, request.GET)
        self.audit(f"vdr-requests.{fmt}")
        if fmt == "xlsx":
            return FileResponse(
                write_workbook([("VDR requests", "vdr", qs)], run.number),
                as_attachment=True, filename=self.filename("vdr-requests", "xlsx"), content_type=XLSX,
            )
        response = StreamingHttpResponse(csv_chunks("vdr", qs, run.number), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("vdr-requests", "csv")}"'
        return response
