"""Configuration of the inbox for admins: mailboxes, categories and their rules, prepared
responses, rotations (members, weeks, holidays). Every change made here is audited by the
admin site; a rotation's members also get a line on the rotation itself."""

from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin
from people import audit
from people.roles import ADMIN, has_role

from . import services
from .models import (
    CalendarFeed,
    Category,
    CategoryRule,
    Holiday,
    Mailbox,
    Override,
    PreparedResponse,
    Rotation,
    RotationMember,
    Shift,
)


@admin.register(Mailbox)
class MailboxAdmin(AdminRoleModelAdmin):
    list_display = ["address", "name", "rotation", "first_response_hours", "escalation_channel"]


class AdminRoleInline(admin.TabularInline):
    """Inline rows for the admin role, which holds no per-model permissions."""

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, ADMIN)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class CategoryRuleInline(AdminRoleInline):
    model = CategoryRule
    extra = 0
    fields = ["position", "phrases", "active", "matched_count", "corrected_count"]
    readonly_fields = ["matched_count", "corrected_count"]


@admin.register(Category)
class CategoryAdmin(AdminRoleModelAdmin):
    list_display = ["name", "slug", "position", "corrections_into"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["corrections_into"]
    inlines = [CategoryRuleInline]


@admin.register(CategoryRule)
class CategoryRuleAdmin(AdminRoleModelAdmin):
    """Which rules miss: how often agents corrected what each one chose."""

    list_display = ["__str__", "category", "position", "active", "matched_count",
                    "corrected_count", "miss_rate"]
    list_filter = ["category", "active"]
    readonly_fields = ["matched_count", "corrected_count"]

    @admin.display(description="corrected")
    def miss_rate(self, rule: CategoryRule) -> str:
        if not rule.matched_count:
            return "—"
        return f"{100 * rule.corrected_count / rule.matched_count:.0f}%"


@admin.register(PreparedResponse)
class PreparedResponseAdmin(AdminRoleModelAdmin):
    list_display = ["title", "category", "active", "position", "times_used"]
    list_filter = ["category", "active"]
    list_editable = ["active", "position"]
    search_fields = ["title", "body"]
    readonly_fields = ["times_used"]


class RotationMemberInline(AdminRoleInline):
    model = RotationMember
    extra = 1


@admin.register(Rotation)
class RotationAdmin(AdminRoleModelAdmin):
    list_display = ["name", "team", "time_zone", "weeks_ahead", "slack_channel"]
    inlines = [RotationMemberInline]

    def save_related(self, request, form, formsets, change) -> None:
        rotation = form.instance
        before = list(rotation.members.order_by("position", "id").values_list(
            "user__username", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        after = list(rotation.members.order_by("position", "id").values_list(
            "user__username", flat=True))
        if before != after:
            audit.record(actor=request.user, verb="members", subject=rotation.subject_key,
                         summary=f"Members: {', '.join(after) or 'none'}",
                         changes={"members": [before, after]})
        # New members take their turn in the weeks not planned yet.
        services.generate_shifts(rotation=rotation)


@admin.register(Shift)
class ShiftAdmin(AdminRoleModelAdmin):
    list_display = ["week_start", "rotation", "member", "reminded_at", "gap_flagged_at"]
    list_filter = ["rotation", "member"]
    date_hierarchy = "week_start"


@admin.register(Override)
class OverrideAdmin(AdminRoleModelAdmin):
    list_display = ["rotation", "kind", "start_date", "end_date", "member", "replaces",
                    "created_by", "cancelled_at"]
    list_filter = ["rotation", "kind"]


@admin.register(Holiday)
class HolidayAdmin(AdminRoleModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(AdminRoleModelAdmin):
    """Listed so an admin can see and revoke links; tokens are never shown (only hashes kept)."""

    list_display = ["user", "rotation", "created_at", "last_fetched_at", "revoked_at"]
    list_filter = ["rotation"]
    readonly_fields = ["token_hash", "created_at", "last_fetched_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected calendar links")
    def revoke(self, request, queryset) -> None:
        for feed in queryset.filter(revoked_at__isnull=True).select_related("rotation", "user"):
            services.revoke_calendar_feed(rotation=feed.rotation, user=feed.user,
                                          actor=request.user)
