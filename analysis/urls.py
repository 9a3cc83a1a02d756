from django.urls import path

from .views import batches, compare, dashboard, detail, domain, exports, lists, runs, summary

app_name = "analysis"
urlpatterns = [
    path("<int:deal_id>/", dashboard.DashboardView.as_view(), name="deal"),
    # Analyst pages (run-scoped: latest completed run unless ?run=N)
    path("<int:deal_id>/domains/<slug:domain>/", domain.DomainView.as_view(), name="domain"),
    path("<int:deal_id>/facts/", lists.FactListView.as_view(), name="facts"),
    path("<int:deal_id>/facts/<int:pk>/", detail.FactDetailView.as_view(), name="fact"),
    path("<int:deal_id>/facts/<int:pk>/decision/", detail.FactDecisionView.as_view(), name="fact_decision"),
    path("<int:deal_id>/gaps/", lists.GapListView.as_view(), name="gaps"),
    path("<int:deal_id>/gaps/<int:pk>/decision/", detail.GapDecisionView.as_view(), name="gap_decision"),
    path("<int:deal_id>/findings/", lists.FindingListView.as_view(), name="findings"),
    path("<int:deal_id>/findings/<int:pk>/", detail.FindingDetailView.as_view(), name="finding"),
    path(
        "<int:deal_id>/documents/<int:document_id>/pages/<int:number>/text/",
        detail.PageTextView.as_view(),
        name="page_text",
    ),
    path("<int:deal_id>/runs/<int:a>/compare/<int:b>/", compare.CompareView.as_view(), name="compare"),
    # Pipeline: run page (timeline, progress, re-queue/cancel for managers), audit trail, batches
    path("<int:deal_id>/runs/start/", runs.RunStartView.as_view(), name="run_start"),
    path("<int:deal_id>/runs/<int:number>/", runs.RunDetailView.as_view(), name="run"),
    path("<int:deal_id>/runs/<int:number>/status.json", runs.RunStatusView.as_view(), name="run_status"),
    path("<int:deal_id>/runs/<int:number>/requeue/", runs.RunRequeueView.as_view(), name="run_requeue"),
    path("<int:deal_id>/runs/<int:number>/cancel/", runs.RunCancelView.as_view(), name="run_cancel"),
    path("<int:deal_id>/audit/", runs.DealAuditView.as_view(), name="audit"),
    path("batches/<int:batch_id>/", batches.BatchDetailView.as_view(), name="batch"),
    path("batches/<int:batch_id>/requeue-failed/", batches.BatchRequeueFailedView.as_view(), name="batch_requeue"),
    path("<int:deal_id>/summary/", summary.SummaryView.as_view(), name="summary"),
    path("<int:deal_id>/summary.pdf", summary.SummaryPdfView.as_view(), name="summary_pdf"),
    path("<int:deal_id>/exports/workbook.xlsx", exports.WorkbookExportView.as_view(), name="export_workbook"),
    path("<int:deal_id>/exports/vdr-requests.<str:fmt>", exports.VdrExportView.as_view(), name="export_vdr"),
    path("<int:deal_id>/exports/<str:kind>.<str:fmt>", exports.KindExportView.as_view(), name="export"),
]
