"""Badges' configuration for admins: audiences, certifications, result senders, template requests;
templates, results and badges shown read-only, since Credly and the senders are their source."""

from django.contrib import admin
from django.urls import reverse

from edudesk.admin_site import AdminRoleModelAdmin

from .models import (
    Audience,
    Badge,
    BadgeTemplate,
    BulkIssue,
    Certification,
    ResultSender,
    Submission,
    TemplateRequest,
)
from .webhooks import example_request


class ReadOnlyAdmin(AdminRoleModelAdmin):
    """Written by the sync, the webhook and the services; the admin looks."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Audience)
class AudienceAdmin(AdminRoleModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(BadgeTemplate)
class BadgeTemplateAdmin(AdminRoleModelAdmin):
    """Mirrored from Credly by the sync: only the audience is set here."""

    list_display = ["name", "state", "audience", "allows_duplicates", "credly_id"]
    list_filter = ["state", "audience"]
    search_fields = ["name", "credly_id"]
    readonly_fields = ["credly_id", "name", "description", "state", "allows_duplicates",
                       "image_url", "upstream_updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # templates are created on Credly (see template requests)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Certification)
class CertificationAdmin(AdminRoleModelAdmin):
    list_display = ["name", "code", "badge_template", "passing_score", "active"]
    list_filter = ["active"]
    list_select_related = ["badge_template"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(ResultSender)
class ResultSenderAdmin(AdminRoleModelAdmin):
    """Senders and their signing secrets; the change page shows a signed example request."""

    list_display = ["name", "active", "secret_count", "created_at"]
    list_filter = ["active"]
    change_form_template = "admin/badges/resultsender/change_form.html"

    @admin.display(description="Active secrets")
    def secret_count(self, obj: ResultSender) -> int:
        return len(obj.secret_list)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sender = self.get_object(request, object_id)
        if sender is not None:
            url = request.build_absolute_uri(reverse("badges:certification-webhook"))
            extra_context = {**(extra_context or {}),
                             "example": example_request(sender, url)}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["submission_id", "earner_email", "certification", "score", "passed",
                    "sender", "received_at"]
    list_filter = ["passed", "certification", "sender"]
    list_select_related = ["certification", "sender"]
    search_fields = ["earner_email", "submission_id"]
    show_full_result_count = False


@admin.register(Badge)
class BadgeAdmin(ReadOnlyAdmin):
    list_display = ["id", "recipient_email", "template", "state", "issued_at", "credly_id"]
    list_filter = ["state", "template"]
    list_select_related = ["template"]
    search_fields = ["recipient_email", "credly_id"]
    show_full_result_count = False


@admin.register(TemplateRequest)
class TemplateRequestAdmin(AdminRoleModelAdmin):
    list_display = ["name", "status", "template", "requested_by", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["requested_by", "created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.requested_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(BulkIssue)
class BulkIssueAdmin(ReadOnlyAdmin):
    """CSV uploads and how far they got; the agents' page is /badges/bulk/."""

    list_display = ["filename", "state", "total", "position", "queued", "skipped", "refused",
                    "created_by", "created_at"]
    list_filter = ["state"]
    exclude = ["rows"]  # every validated row: too big to show
