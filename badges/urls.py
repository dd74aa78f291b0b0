"""Badges' routes."""

from django.urls import path

from . import views

app_name = "badges"
urlpatterns = [
    path("hooks/certifications/", views.certification_webhook, name="certification-webhook"),
]
