"""Routes of the integrations: inbound webhooks and the admins' connection pages."""

from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("hooks/zendesk/", views.zendesk_webhook, name="zendesk-webhook"),
    path("connections/zendesk/", views.zendesk_connection, name="zendesk-connection"),
    path("connections/zendesk/status/", views.zendesk_status, name="zendesk-status"),
    path("connections/zendesk/full-sync/", views.zendesk_full_sync, name="zendesk-full-sync"),
]
