from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from analysis.views.notifications import NotificationListView

from . import favicon, ops_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="deals:list", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("deals/", include("deals.urls")),
    path("deals/", include("analysis.urls")),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("healthz", ops_views.healthz, name="healthz"),
    path("healthz/live", ops_views.healthz_live, name="healthz-live"),
    path("metrics", ops_views.metrics, name="metrics"),
]
