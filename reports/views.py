"""Report pages for managers and admins: parse the filters, read the figures, draw, export."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from badges import selectors as badges
from people.roles import REPORT_ROLES, role_required

from . import certifications, charts, services, threads, ticket_metrics
from .models import SummarySubscription


def _today():
    return timezone.now().astimezone(certifications.team_zone()).date()


def _filters(request):
    return certifications.CertificationFilters.from_params(request.GET, _today())


def certification_chart(report: certifications.CertificationReport):
    labels = [f"{row.month:%b %Y}" for row in report.rows]
    stacked = [charts.Series(name, [row.by_audience[i] for row in report.rows])
               for i, name in enumerate(report.audiences)]
    return charts.bar_chart(
        chart_id="certifications-chart",
        title=f"Certifications issued per month by audience, {labels[0]} to {labels[-1]}",
        description=f"{report.issued} badges issued and {report.revoked} revoked; the table "
                    "below gives every figure.",
        labels=labels, stacked=stacked,
        apart=charts.Series("Revoked", [row.revoked for row in report.rows]))


@role_required(*REPORT_ROLES)
@require_GET
def index(request):
    return redirect("reports:certifications")


@role_required(*REPORT_ROLES)
@require_GET
def certifications_page(request):
    error, report = "", None
    try:
        filters = _filters(request)
        report = certifications.certification_report(filters)
    except ValidationError as exc:
        filters = certifications.CertificationFilters.from_params({}, _today())
        error = " ".join(exc.messages)
    subscription = SummarySubscription.objects.filter(user=request.user, active=True).first()
    return render(request, "reports/certifications.html", {
        "filters": filters, "report": report, "error": error,
        "chart": certification_chart(report) if report else "",
        "certifications": badges.certifications(), "templates": badges.templates_with_audience(),
        "subscription": subscription, "csv_query": filters.as_params(),
    }, status=400 if error else 200)


def certification_csv_rows(report: certifications.CertificationReport):
    yield ["month", *report.audiences, "issued", "revoked", "change", "change_percent",
           "snapshot_issued", "snapshot_revoked"]
    for row in report.rows:
        yield [f"{row.month:%Y-%m}", *row.by_audience, row.issued, row.revoked,
               "" if row.change is None else row.change,
               "" if row.change_percent is None else row.change_percent,
               "" if row.snapshot_issued is None else row.snapshot_issued,
               "" if row.snapshot_revoked is None else row.snapshot_revoked]


def csv_response(rows, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(rows)
    return response


@role_required(*REPORT_ROLES)
@require_GET
def certifications_csv(request):
    try:
        report = certifications.certification_report(_filters(request))
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    f = report.filters
    return csv_response(certification_csv_rows(report),
                        f"edudesk-certifications-{f.first:%Y%m}-{f.last:%Y%m}.csv")


@role_required(*REPORT_ROLES)
@require_POST
def subscription(request):
    if request.POST.get("active") == "0":
        services.unsubscribe(user=request.user)
        messages.success(request, "You will no longer get the monthly summary on Slack.")
    else:
        try:
            services.subscribe(user=request.user, channel=request.POST.get("channel", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "You will get the monthly summary on Slack on the 1st.")
    return redirect("reports:certifications")


# ---- inbox -------------------------------------------------------------------------------------
def _inbox(request):
    filters = threads.WeekFilters.from_params(request.GET, _today())
    return threads.inbox_report(filters, zone=certifications.team_zone())


def inbox_chart(report: threads.InboxReport):
    labels = [f"{row.week:%d %b}" for row in report.rows]
    return charts.bar_chart(
        chart_id="inbox-chart", title=f"Inbox threads per week by category, weeks of "
                                      f"{labels[0]} to {labels[-1]}",
        description="Threads begun each week, stacked by category, with those past their "
                    "first-response time beside them; the table below gives every figure.",
        labels=labels,
        stacked=[charts.Series(name, [row.by_category[i] for row in report.rows])
                 for i, name in enumerate(report.categories)],
        apart=charts.Series("Over due time", [row.overdue for row in report.rows]))


@role_required(*REPORT_ROLES)
@require_GET
def inbox_page(request):
    error, report = "", None
    try:
        report = _inbox(request)
        filters = report.filters
    except ValidationError as exc:
        filters, error = threads.WeekFilters.from_params({}, _today()), " ".join(exc.messages)
    return render(request, "reports/inbox.html", {
        "filters": filters, "report": report, "error": error,
        "chart": inbox_chart(report) if report else "", "csv_query": filters.as_params(),
    }, status=400 if error else 200)


def inbox_csv_rows(report: threads.InboxReport):
    yield ["week", "on_duty", *report.categories, "threads", "over_due_time", "responded",
           "median_first_response_business_minutes", "p90_first_response_business_minutes"]
    for row in report.rows:
        yield [row.week.isoformat(), row.on_duty, *row.by_category, row.threads, row.overdue,
               row.responded, "" if row.median_minutes is None else row.median_minutes,
               "" if row.p90_minutes is None else row.p90_minutes]


@role_required(*REPORT_ROLES)
@require_GET
def inbox_csv(request):
    try:
        report = _inbox(request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    f = report.filters
    return csv_response(inbox_csv_rows(report), f"edudesk-inbox-{f.first:%Y%m%d}-{f.last:%Y%m%d}.csv")


# ---- tickets -----------------------------------------------------------------------------------
def _tickets(request):
    filters = threads.WeekFilters.from_params(request.GET, _today())
    return ticket_metrics.ticket_report(filters, zone=certifications.team_zone())


def ticket_charts(report: ticket_metrics.TicketReport):
    labels = [f"{row.week:%d %b}" for row in report.rows]
    span = f"weeks of {labels[0]} to {labels[-1]}"
    backlog = charts.bar_chart(
        chart_id="backlog-chart", title=f"Backlog per view at each week's end, {span}",
        description="Tickets created and not yet solved, stacked by view; the table below "
                    "gives every figure.", labels=labels,
        stacked=[charts.Series(name, [max(0, row.backlog[i]) for row in report.rows])
                 for i, name in enumerate(report.views)])
    solved = charts.bar_chart(
        chart_id="solved-chart", title=f"Tickets solved per week by view, {span}",
        description="Solves stacked by view; the tables below give every figure.", labels=labels,
        stacked=[charts.Series(name, [row.solved[i] for row in report.rows])
                 for i, name in enumerate(report.views)])
    return backlog, solved


@role_required(*REPORT_ROLES)
@require_GET
def tickets_page(request):
    error, report, backlog, solved = "", None, "", ""
    try:
        report = _tickets(request)
        filters = report.filters
        backlog, solved = ticket_charts(report)
    except ValidationError as exc:
        filters, error = threads.WeekFilters.from_params({}, _today()), " ".join(exc.messages)
    return render(request, "reports/tickets.html", {
        "filters": filters, "report": report, "error": error, "backlog_chart": backlog,
        "solved_chart": solved, "csv_query": filters.as_params(),
    }, status=400 if error else 200)


def ticket_csv_rows(report: ticket_metrics.TicketReport):
    views = report.views
    yield ["week", *[f"backlog {v}" for v in views], *[f"solved {v}" for v in views], "created",
           "replied", "median_first_public_reply_minutes"]
    for row in report.rows:
        yield [row.week.isoformat(), *row.backlog, *row.solved, row.created, row.replied,
               "" if row.median_reply_minutes is None else row.median_reply_minutes]
    weeks = [row.week.isoformat() for row in report.rows]
    yield []
    yield ["solved by", "view", *weeks]
    for agent, view, counts in report.solved_by_agent:
        yield [agent, view, *counts]
    yield []
    yield ["routed to", "", *weeks]
    for target, counts in report.routed:
        yield [target, "", *counts]


@role_required(*REPORT_ROLES)
@require_GET
def tickets_csv(request):
    try:
        report = _tickets(request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    f = report.filters
    return csv_response(ticket_csv_rows(report),
                        f"edudesk-tickets-{f.first:%Y%m%d}-{f.last:%Y%m%d}.csv")
