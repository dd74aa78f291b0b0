"""Reports' figures as JSON under /api/v1/reports/: the same numbers as the pages and CSVs."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from people.roles import REPORT_ROLES, allow

from . import certifications, threads, ticket_metrics
from .views import _today


class CertificationMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM in the team's time zone")
    by_audience = serializers.DictField(child=serializers.IntegerField())
    issued = serializers.IntegerField(help_text="Badges that count (a chain once), not revoked")
    revoked = serializers.IntegerField()
    change = serializers.IntegerField(allow_null=True, help_text="Issued, against the month before")
    change_percent = serializers.FloatField(allow_null=True)
    snapshot_issued = serializers.IntegerField(allow_null=True,
                                               help_text="As frozen when the month closed")
    snapshot_revoked = serializers.IntegerField(allow_null=True)


class CertificationReportSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    first = serializers.CharField()
    last = serializers.CharField()
    audiences = serializers.ListField(child=serializers.CharField())
    months = CertificationMonthSerializer(many=True)
    issued = serializers.IntegerField()
    revoked = serializers.IntegerField()


def certification_data(report: certifications.CertificationReport) -> dict:
    return {
        "time_zone": report.time_zone, "first": f"{report.filters.first:%Y-%m}",
        "last": f"{report.filters.last:%Y-%m}", "audiences": report.audiences,
        "issued": report.issued, "revoked": report.revoked,
        "months": [{
            "month": f"{row.month:%Y-%m}",
            "by_audience": dict(zip(report.audiences, row.by_audience, strict=True)),
            "issued": row.issued, "revoked": row.revoked, "change": row.change,
            "change_percent": row.change_percent, "snapshot_issued": row.snapshot_issued,
            "snapshot_revoked": row.snapshot_revoked,
        } for row in report.rows],
    }


class CertificationReportApi(APIView):
    permission_classes = [allow(*REPORT_ROLES)]

    @extend_schema(
        summary="Certifications issued per month by audience (managers and admins)",
        parameters=[
            OpenApiParameter("from", str, description="First month, YYYY-MM (default: 11 "
                                                      "months before `to`)"),
            OpenApiParameter("to", str, description="Last month, YYYY-MM (default: this month)"),
            OpenApiParameter("certification", str, description="A certification's code"),
            OpenApiParameter("template", int, description="A badge template's id"),
        ],
        responses=CertificationReportSerializer,
    )
    def get(self, request):
        filters = certifications.CertificationFilters.from_params(request.query_params, _today())
        return Response(certification_data(certifications.certification_report(filters)))


class InboxWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday, in the team's time zone")
    on_duty = serializers.CharField(help_text="Who was on duty in the rotation; empty if nobody")
    by_category = serializers.DictField(child=serializers.IntegerField())
    threads = serializers.IntegerField()
    over_due_time = serializers.IntegerField()
    responded = serializers.IntegerField()
    median_first_response_minutes = serializers.IntegerField(
        allow_null=True, help_text="Business minutes (Monday to Friday, 9-17, holidays off)")
    p90_first_response_minutes = serializers.IntegerField(allow_null=True)


class InboxMemberSerializer(serializers.Serializer):
    member = serializers.CharField()
    weeks = serializers.IntegerField()
    threads = serializers.IntegerField()
    over_due_time = serializers.IntegerField()
    median_first_response_minutes = serializers.IntegerField(allow_null=True)
    p90_first_response_minutes = serializers.IntegerField(allow_null=True)


class InboxReportSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    weeks = InboxWeekSerializer(many=True)
    members = InboxMemberSerializer(many=True)


def inbox_data(report: threads.InboxReport) -> dict:
    return {
        "time_zone": report.time_zone, "categories": report.categories,
        "weeks": [{
            "week": row.week, "on_duty": row.on_duty,
            "by_category": dict(zip(report.categories, row.by_category, strict=True)),
            "threads": row.threads, "over_due_time": row.overdue, "responded": row.responded,
            "median_first_response_minutes": row.median_minutes,
            "p90_first_response_minutes": row.p90_minutes} for row in report.rows],
        "members": [{
            "member": m.member, "weeks": m.weeks, "threads": m.threads,
            "over_due_time": m.overdue, "median_first_response_minutes": m.median_minutes,
            "p90_first_response_minutes": m.p90_minutes} for m in report.members],
    }


class InboxReportApi(APIView):
    permission_classes = [allow(*REPORT_ROLES)]

    @extend_schema(
        summary="Inbox threads per week: categories, first responses, due times (managers, admins)",
        parameters=[OpenApiParameter("from", str, description="A day of the first week, YYYY-MM-DD"),
                    OpenApiParameter("to", str, description="A day of the last week, YYYY-MM-DD")],
        responses=InboxReportSerializer,
    )
    def get(self, request):
        filters = threads.WeekFilters.from_params(request.query_params, _today())
        report = threads.inbox_report(filters, zone=certifications.team_zone())
        return Response(InboxReportSerializer(inbox_data(report)).data)


class TicketWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday, in the team's time zone")
    backlog = serializers.DictField(child=serializers.IntegerField(),
                                    help_text="Per view, open at the week's end")
    solved = serializers.DictField(child=serializers.IntegerField(), help_text="Per view")
    created = serializers.IntegerField()
    replied = serializers.IntegerField()
    median_first_public_reply_minutes = serializers.IntegerField(allow_null=True)


class TicketAgentSerializer(serializers.Serializer):
    agent = serializers.CharField()
    view = serializers.CharField()
    solved = serializers.ListField(child=serializers.IntegerField(), help_text="Per week")


class TicketRoutedSerializer(serializers.Serializer):
    routed_to = serializers.CharField()
    routed = serializers.ListField(child=serializers.IntegerField(), help_text="Per week")


class TicketReportSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    views = serializers.ListField(child=serializers.CharField())
    weeks = TicketWeekSerializer(many=True)
    solved_by_agent = TicketAgentSerializer(many=True)
    routed_per_delegate = TicketRoutedSerializer(many=True)


def ticket_data(report: ticket_metrics.TicketReport) -> dict:
    return {
        "time_zone": report.time_zone, "views": report.views,
        "weeks": [{"week": row.week, "backlog": dict(zip(report.views, row.backlog, strict=True)),
                   "solved": dict(zip(report.views, row.solved, strict=True)),
                   "created": row.created, "replied": row.replied,
                   "median_first_public_reply_minutes": row.median_reply_minutes}
                  for row in report.rows],
        "solved_by_agent": [{"agent": a, "view": v, "solved": c} for a, v, c in report.solved_by_agent],
        "routed_per_delegate": [{"routed_to": t, "routed": c} for t, c in report.routed],
    }


class TicketReportApi(APIView):
    permission_classes = [allow(*REPORT_ROLES)]

    @extend_schema(
        summary="Tickets per week: backlog and solves per view, agents, first replies, routing "
                "(managers, admins)",
        parameters=[OpenApiParameter("from", str, description="A day of the first week, YYYY-MM-DD"),
                    OpenApiParameter("to", str, description="A day of the last week, YYYY-MM-DD")],
        responses=TicketReportSerializer,
    )
    def get(self, request):
        filters = threads.WeekFilters.from_params(request.query_params, _today())
        report = ticket_metrics.ticket_report(filters, zone=certifications.team_zone())
        return Response(TicketReportSerializer(ticket_data(report)).data)
