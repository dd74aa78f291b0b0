"""Locked sign-ins in the configuration screens, where an admin unlocks one by deleting it."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin


@admin.register(AccessAttempt)
class SignInAttemptAdmin(AdminRoleModelAdmin, AccessAttemptAdmin):
    """django-axes' list of failed sign-ins for the admin role (axes' own registration is off:
    it asks for Django's per-model permissions, which the admin role does not use). Deleting a
    row lifts its lock; the deletion is in the audit trail like any configuration change."""

    list_display = ["attempt_time", "username", "ip_address", "path_info", "failures_since_start"]
    list_filter = ["attempt_time", "path_info"]

    def has_add_permission(self, request) -> bool:
        return False
