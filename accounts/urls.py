"""Pages: sign-in with Okta, access requests, API tokens, the audit view."""

from django.urls import path

from . import audit_views, oidc, views

app_name = "accounts"
urlpatterns = [
    path("access/", views.access_home, name="access"),
    path("access/request/", views.request_access, name="request-access"),
    path("access/requests/", views.access_requests, name="access-requests"),
    path("access/requests/<int:pk>/approve/", views.approve_request, name="approve"),
    path("access/requests/<int:pk>/decline/", views.decline_request, name="decline"),
    path("access/requests/<int:pk>/withdraw/", views.withdraw_request, name="withdraw"),
    path("account/preferences/", views.preferences, name="preferences"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/new/", views.create_token, name="create-token"),
    path("account/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke-token"),
    path("audit/", audit_views.audit_log, name="audit"),
    path("audit/export.csv", audit_views.audit_csv, name="audit-csv"),
]

# mozilla-django-oidc finds these by their own names (its middleware reverses all three).
oidc_urlpatterns = [
    path("oidc/authenticate/", oidc.OktaSignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.OktaCallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/logout/", oidc.OktaSignOutView.as_view(), name="oidc_logout"),
]
