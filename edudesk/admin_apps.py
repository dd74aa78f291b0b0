"""Django's admin app, pointed at the role-checking admin site."""

from django.contrib.admin.apps import AdminConfig


class EduDeskAdminConfig(AdminConfig):
    default_site = "edudesk.admin_site.EduDeskAdminSite"
