from django.urls import path

from . import views

app_name = "deals"
urlpatterns = [
    path("", views.DealListView.as_view(), name="list"),
    path("new/", views.DealCreateView.as_view(), name="create"),
    path("<int:deal_id>/members/", views.MembersView.as_view(), name="members"),
    path("<int:deal_id>/documents/", views.DocumentListView.as_view(), name="documents"),
    path("<int:deal_id>/documents/upload/", views.upload_documents, name="upload"),
    path("<int:deal_id>/documents/<int:doc_id>/", views.DocumentDetailView.as_view(), name="document"),
    path("<int:deal_id>/documents/<int:doc_id>/original/", views.document_original, name="document_original"),
    path("<int:deal_id>/documents/<int:doc_id>/curation/", views.document_curation, name="document_curation"),
]
