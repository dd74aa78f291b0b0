"""Reports' API routes, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("reports/certifications/", api.CertificationReportApi.as_view(),
         name="report-certifications"),
    path("reports/inbox/", api.InboxReportApi.as_view(), name="report-inbox"),
    path("reports/tickets/", api.TicketReportApi.as_view(), name="report-tickets"),
]
