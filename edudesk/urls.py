"""Top-level routes: console, API, admin, auth, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.urls import oidc_urlpatterns
from accounts.views import SignInView

from .health import healthz

api_patterns = [
    path("", include("accounts.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("", include("tickets.urls")),
    path("", include("integrations.zendesk.urls")),
    path("", include("integrations.credly.urls")),
    path("", include("badges.urls")),
    path("", include("inbox.urls")),
    path("", include("suggestions.urls")),
    path("", include("integrations.gmail.urls")),
    path("", include("accounts.urls")),
    path("", include("reports.urls")),
    *oidc_urlpatterns,
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
]

handler400 = "edudesk.api.bad_request"
handler403 = "edudesk.api.permission_denied"
handler404 = "edudesk.api.not_found"
handler500 = "edudesk.api.server_error"
