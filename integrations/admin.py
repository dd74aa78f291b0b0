"""The outbox in the admin: what was sent where, and what failed."""

from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AdminRoleModelAdmin):
    list_display = ["id", "system", "action", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["system", "state"]
    raw_id_fields = ["ticket"]
