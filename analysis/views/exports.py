"""Downloads of the chosen run (latest completed unless ?run=N), filtered like the list pages.

/deals/<id>/exports/<kind>.<csv|json>   kind = facts | gaps | findings
/deals/<id>/exports/workbook.xlsx       one sheet per kind (+ the VDR requests)
/deals/<id>/exports/vdr-requests.<csv|xlsx>  open target gaps as requests to the seller
"""
from __future__ import annotations

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.text import slugify
from django.views.generic import View

from ..exports.writers import csv_chunks, json_chunks, write_workbook
from ..filters import FILTER_FOR_KIND, base_queryset, filtered
from ..run_context import RunPageMixin
from ..services.audit import record_event

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def vdr_queryset(run, data):
    """Open target gaps (the seller's side), most important first, by domain; list filters apply."""
    qs = base_queryset("gaps", run).filter(entity="target", resolved_at__isnull=True).order_by("domain", "importance_rank", "id")
    filterset = FILTER_FOR_KIND["gaps"](data, queryset=qs)
    return filterset.qs if filterset.is_valid() else qs.none()


class _ExportView(RunPageMixin, View):
    def run_or_404(self):
        if self.ctx.run is None:
            raise Http404("This deal has no completed run to export yet.")
        return self.ctx.run

    def filename(self, name: str, ext: str) -> str:
        return f"{slugify(self.ctx.deal.name) or 'deal'}-run{self.ctx.run.number}-{name}.{ext}"

    def audit(self, what: str):
        record_event(
            "export.downloaded", actor=self.request.user, deal=self.ctx.deal, run=self.ctx.run,
            data={"export": what, "filters": {k: v for k, v in self.request.GET.items()}},
        )


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
        sheets = [(kind.capitalize(), kind, filtered(kind, run, request.GET)[1]) for kind in ("facts", "gaps", "findings")]
        sheets.append(("VDR requests", "vdr", vdr_queryset(run, request.GET)))
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
