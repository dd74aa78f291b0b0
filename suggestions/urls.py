"""Suggestions' own routes, beside the pages they sit on."""

from django.urls import path

from . import views

app_name = "suggestions"
urlpatterns = [
    path("tickets/<int:pk>/suggestions/dismiss/", views.dismiss_for_ticket, name="ticket-dismiss"),
    path("inbox/threads/<int:pk>/suggestions/dismiss/", views.dismiss_for_thread,
         name="thread-dismiss"),
]
