"""Credly's routes: the webhook endpoint."""

from django.urls import path

from . import views

app_name = "credly"
urlpatterns = [
    path("hooks/credly/", views.webhook, name="webhook"),
]
