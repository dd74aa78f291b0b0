"""The admin's audit view: the whole application's trail, filtered, paged and exported."""

import csv

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from people.roles import ADMIN, role_required

from . import auditlog


class _Echo:
    """csv.writer writes into this and gets the line back, for a streamed response."""

    def write(self, value: str) -> str:
        return value


@role_required(ADMIN)
@require_GET
def audit_log(request):
    error = ""
    try:
        filters = auditlog.parse_filters(request.GET)
        page = auditlog.audit_page(filters, request.GET.get("cursor"))
    except ValidationError as exc:
        filters, page, error = auditlog.AuditFilters(), auditlog.Page([], None, None), \
            " ".join(exc.messages)
    return render(request, "accounts/audit.html", {
        "filters": filters, "page": page, "error": error,
    }, status=400 if error else 200)


@role_required(ADMIN)
@require_GET
def audit_csv(request):
    try:
        filters = auditlog.parse_filters(request.GET)
    except ValidationError as exc:
        return render(request, "accounts/audit.html", {
            "filters": auditlog.AuditFilters(), "error": " ".join(exc.messages),
            "page": auditlog.Page([], None, None)}, status=400)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in auditlog.csv_rows(filters)),
                                     content_type="text/csv; charset=utf-8")
    name = f"edudesk-audit-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
