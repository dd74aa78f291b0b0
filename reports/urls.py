"""Report pages, under /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/certifications/", views.certifications_page, name="certifications"),
    path("reports/certifications.csv", views.certifications_csv, name="certifications-csv"),
    path("reports/subscription/", views.subscription, name="subscription"),
    path("reports/inbox/", views.inbox_page, name="inbox"),
    path("reports/inbox.csv", views.inbox_csv, name="inbox-csv"),
    path("reports/tickets/", views.tickets_page, name="tickets"),
    path("reports/tickets.csv", views.tickets_csv, name="tickets-csv"),
]
