"""Accounts API routes, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="token"),
    path("auth/tokens/", api.TokenListApi.as_view(), name="tokens"),
    path("auth/tokens/<int:pk>/revoke/", api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("audit-events/", api.AuditEventListApi.as_view(), name="audit-events"),
]
