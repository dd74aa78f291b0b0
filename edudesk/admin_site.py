"""The Django admin is the configuration screen, open to the admin role only; every change
made in it is in the audit trail with its before and after."""

from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict

from people import audit
from people.roles import ADMIN, has_role

# Values of fields named like these never enter the audit trail, only the fact of a change.
SECRET_WORDS = ("secret", "password", "token", "key")
MAX_TEXT = 2000


class EduDeskAdminSite(admin.AdminSite):
    site_header = "EduDesk configuration"
    site_title = "EduDesk admin"
    index_title = "Views, macros, routing, delegates"

    def has_permission(self, request) -> bool:
        return request.user.is_active and has_role(request.user, ADMIN)

    def login(self, request, extra_context=None):
        if not settings.PASSWORD_LOGIN:
            # No password form to offer: Okta sign-in lives on the main sign-in page.
            if request.user.is_authenticated:
                raise PermissionDenied("The configuration screens are for admins.")
            return redirect_to_login(request.GET.get("next") or "/admin/")
        return super().login(request, extra_context)


def _plain(value):
    """A field value as JSON can hold it and a person can read it."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, list | tuple | set | QuerySet):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | Model):
        return str(value)
    return str(value)[:MAX_TEXT]


def _is_secret(field: str) -> bool:
    return any(word in field.lower() for word in SECRET_WORDS)


def _value(field: str, value):
    return "(hidden)" if _is_secret(field) and value not in (None, "", []) else _plain(value)


def form_changes(form) -> dict:
    """{field: [before, after]} for each field the admin changed in `form`."""
    return {field: [_value(field, form.initial.get(field)),
                    _value(field, form.cleaned_data.get(field))]
            for field in form.changed_data}


def _before(obj: Model) -> dict:
    """{field: [value, None]} for an object about to be deleted."""
    return {field: [_value(field, value), None] for field, value in model_to_dict(obj).items()}


def record_configuration(request, obj: Model, verb: str, changes: dict) -> None:
    meta = obj._meta
    what = f"{meta.verbose_name} “{obj}”"
    summary = {"config_added": f"Added {what}", "config_deleted": f"Deleted {what}"}.get(
        verb, f"Changed {what}: {', '.join(changes) or 'nothing'}")
    audit.record(actor=request.user, verb=verb, subject=f"{meta.label_lower}:{obj.pk}",
                 summary=summary, changes=changes)


class AdminRoleModelAdmin(admin.ModelAdmin):
    """Grants the admin role full rights on a model without per-model permissions, and writes
    every add, change and delete made here to the audit trail (values before and after)."""

    def has_module_permission(self, request) -> bool:
        return has_role(request.user, ADMIN)

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, ADMIN)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None) -> bool:
        return has_role(request.user, ADMIN)

    has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            record_configuration(request, obj, "config_changed" if change else "config_added",
                                 form_changes(form))

    def save_formset(self, request, form, formset, change) -> None:
        """Inline rows (a view's conditions, say) are configuration too, each its own line."""
        deleted = [(f.instance, f.instance.pk, _before(f.instance))
                   for f in formset.deleted_forms if f.instance.pk]
        new = {id(f) for f in formset.forms if f.instance.pk is None}
        super().save_formset(request, form, formset, change)
        for inline in formset.forms:
            if inline in formset.deleted_forms or not inline.has_changed() \
                    or inline.instance.pk is None:
                continue
            verb = "config_added" if id(inline) in new else "config_changed"
            record_configuration(request, inline.instance, verb, form_changes(inline))
        for instance, pk, before in deleted:
            instance.pk = pk  # Django clears it on delete; the audit line still names the row
            record_configuration(request, instance, "config_deleted", before)

    def delete_model(self, request, obj) -> None:
        before, pk = _before(obj), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk  # Django clears it on delete; the audit line still names the object
        record_configuration(request, obj, "config_deleted", before)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
