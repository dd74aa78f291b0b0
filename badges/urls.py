"""Badges' routes: the certification results webhook and the agents' pages."""

from django.urls import path

from . import views

app_name = "badges"
urlpatterns = [
    path("hooks/certifications/", views.certification_webhook, name="certification-webhook"),
    path("badges/", views.dashboard, name="dashboard"),
    path("badges/earner/", views.earner, name="earner"),
    path("badges/earner/panel/", views.earner_panel, name="panel"),
    path("badges/issue/", views.issue, name="issue"),
    path("badges/<int:pk>/", views.badge_page, name="badge"),
    path("badges/<int:pk>/steps/", views.badge_steps, name="steps"),
    path("badges/<int:pk>/email/", views.change_email, name="change-email"),
    path("badges/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("badges/<int:pk>/deliveries/<int:message_id>/retry/", views.retry, name="retry"),
    path("badges/submissions/<int:pk>/issue/", views.issue_for_submission,
         name="issue-for-submission"),
    path("badges/bulk/", views.bulk_upload, name="bulk-upload"),
    path("badges/bulk/<int:pk>/", views.bulk_page, name="bulk"),
    path("badges/bulk/<int:pk>/start/", views.bulk_start, name="bulk-start"),
    path("badges/bulk/<int:pk>/progress/", views.bulk_progress, name="bulk-progress"),
]
