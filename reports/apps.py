"""Reports for managers: certifications by month and audience, inbox and ticket metrics."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
