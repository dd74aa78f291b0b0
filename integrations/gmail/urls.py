"""Gmail's routes: the admins' connection page."""

from django.urls import path

from . import views

app_name = "gmail"
urlpatterns = [
    path("connections/gmail/", views.connection_page, name="connection"),
    path("connections/gmail/status/", views.status, name="status"),
    path("connections/gmail/full-sync/", views.full_sync, name="full-sync"),
]
