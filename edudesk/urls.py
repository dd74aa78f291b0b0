"""Top-level routes: console, API, admin, auth, health."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken

from .health import healthz

api_patterns = [
    path("auth/token/", ObtainAuthToken.as_view(permission_classes=[]), name="token"),
    path("", include("tickets.api_urls")),
]

urlpatterns = [
    path("", include("tickets.urls")),
    path("", include("integrations.urls")),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
]
if settings.OKTA_DOMAIN:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler404 = "edudesk.api.not_found"
