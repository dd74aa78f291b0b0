"""The Django admin is the configuration screen, open to the admin role only."""

from django.contrib import admin

from .roles import ADMIN, has_role


class EduDeskAdminSite(admin.AdminSite):
    site_header = "EduDesk configuration"
    site_title = "EduDesk admin"
    index_title = "Views, macros, routing, delegates"

    def has_permission(self, request) -> bool:
        return request.user.is_active and has_role(request.user, ADMIN)


class AdminRoleModelAdmin(admin.ModelAdmin):
    """Grants the admin role full rights on a model without per-model permissions."""

    def has_module_permission(self, request) -> bool:
        return has_role(request.user, ADMIN)

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, ADMIN)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None) -> bool:
        return has_role(request.user, ADMIN)

    has_delete_permission = has_change_permission
