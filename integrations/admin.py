"""The outbox, sync state and received webhooks in the admin: what went where, and what failed."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from edudesk.admin_site import AdminRoleModelAdmin

from .models import OutboxMessage, SyncState, WebhookEvent


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AdminRoleModelAdmin):
    list_display = ["id", "system", "action", "subject", "state", "attempts", "created_at",
                    "sent_at"]
    list_filter = ["system", "state"]
    search_fields = ["subject"]


class ReadOnlyAdmin(AdminRoleModelAdmin):
    """Written by the integrations only; the admin looks."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = ["system", "last_finished_at", "last_success_at", "phase", "connection_page"]

    @admin.display(description="Details")
    def connection_page(self, obj: SyncState) -> str:
        # Each adapter names its page "<system>:connection"; the kit knows none of them.
        try:
            url = reverse(f"{obj.system}:connection")
        except NoReverseMatch:
            return ""
        return format_html('<a href="{}">Connection page</a>', url)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "system", "event_id", "state", "received_at"]
    list_filter = ["system", "state"]
    search_fields = ["event_id"]
