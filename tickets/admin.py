"""Configuration screens for admins: views, macros, routing rules, forms."""

from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin

from .forms import ViewAdminForm
from .models import Macro, RoutingRule, Ticket, TicketForm, View


@admin.register(View)
class ViewAdmin(AdminRoleModelAdmin):
    form = ViewAdminForm
    list_display = ["name", "slug", "team", "position", "assignee", "sort", "is_system"]
    list_editable = ["position"]
    filter_horizontal = ["shared_with", "regions"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Macro)
class MacroAdmin(AdminRoleModelAdmin):
    list_display = ["title", "active", "set_status", "comment_is_public", "is_read_only"]
    list_filter = ["active"]
    search_fields = ["title", "comment"]

    def get_readonly_fields(self, request, obj=None):
        # Macros imported from Zendesk are edited there; here they are read-only.
        if obj is not None and obj.is_read_only:
            return [f.name for f in obj._meta.fields]
        return ["zendesk_id"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AdminRoleModelAdmin):
    list_display = ["name", "position", "topic", "tags_any", "delegate_user", "delegate_team",
                    "slack_channel", "active"]
    list_editable = ["position", "active"]


admin.site.register(TicketForm, AdminRoleModelAdmin)


@admin.register(Ticket)
class TicketAdmin(AdminRoleModelAdmin):
    list_display = ["id", "subject", "status", "assignee", "updated_at"]
    list_filter = ["status", "form", "group"]
    search_fields = ["subject", "requester_email"]
    raw_id_fields = ["assignee"]
    show_full_result_count = False  # a COUNT(*) over a million rows per page is not worth it

    def get_readonly_fields(self, request, obj=None):
        # A Zendesk ticket changes through the console's services (history line, delivery to
        # Zendesk); an edit here would go behind the outbox's back and be undone by the sync.
        if obj is not None and obj.zendesk_id is not None:
            return [f.name for f in obj._meta.fields]
        return ["zendesk_id", "upstream_updated_at"]
