"""Zendesk's routes: its webhook endpoint and the admins' connection page."""

from django.urls import path

from . import views

app_name = "zendesk"
urlpatterns = [
    path("hooks/zendesk/", views.webhook, name="webhook"),
    path("connections/zendesk/", views.connection_page, name="connection"),
    path("connections/zendesk/status/", views.status, name="status"),
    path("connections/zendesk/full-sync/", views.full_sync, name="full-sync"),
]
