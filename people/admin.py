"""Admins configure delegates (agent profiles), teams and regions; they read the audit trail."""

from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin

from .models import AgentProfile, AuditEvent, Region, Team


@admin.register(AgentProfile)
class AgentProfileAdmin(AdminRoleModelAdmin):
    list_display = ["user", "team"]
    list_filter = ["team"]
    filter_horizontal = ["preferred_regions"]
    search_fields = ["user__username", "user__email"]


@admin.register(Team)
class TeamAdmin(AdminRoleModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


admin.site.register(Region, AdminRoleModelAdmin)


@admin.register(AuditEvent)
class AuditEventAdmin(AdminRoleModelAdmin):
    """Append-only: listed and searched, never added, changed or deleted here."""

    list_display = ["created_at", "actor", "verb", "subject", "summary"]
    list_filter = ["verb"]
    search_fields = ["subject", "summary", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
