"""REST API of the console under /api/v1/: the same operations as the pages."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from people.models import Team

from . import selectors, services
from .models import Macro, RoutingRule, Ticket
from .serializers import (
    CommentSerializer,
    MacroChangesSerializer,
    MacroSerializer,
    RoutingRuleSerializer,
    TicketDetailSerializer,
    TicketListSerializer,
    TicketPageSerializer,
    ViewSerializer,
)

User = get_user_model()


class ViewListApi(APIView):
    @extend_schema(responses=ViewSerializer(many=True), summary="Your views, with live counts")
    def get(self, request):
        views = selectors.views_for(request.user)
        counts = selectors.view_counts(views, request.user)
        for view in views:
            view.count = min(counts[view.slug], selectors.VIEW_COUNT_CAP)
            view.count_is_capped = counts[view.slug] > selectors.VIEW_COUNT_CAP
        return Response(ViewSerializer(views, many=True).data)


class ViewTicketsApi(APIView):
    @extend_schema(
        summary="One page of a view's tickets (keyset pagination: follow `next`)",
        parameters=[
            OpenApiParameter("cursor", str), OpenApiParameter("page_size", int),
            OpenApiParameter("region", str, description='"mine" or a region code'),
            OpenApiParameter("status", str, enum=Ticket.Status.values),
            OpenApiParameter("unassigned", bool),
            OpenApiParameter("q", str, description="ticket id, subject or requester"),
            OpenApiParameter("sort", str, enum=["-updated_at", "updated_at", "-created_at",
                                                "created_at"]),
        ],
        responses=TicketPageSerializer,
    )
    def get(self, request, slug: str):
        view = selectors.view_by_slug(request.user, slug)
        params = request.query_params
        size = None
        if params.get("page_size"):
            field = serializers.IntegerField(min_value=1, max_value=selectors.PAGE_SIZE_MAX)
            try:
                size = field.run_validation(params["page_size"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"page_size": exc.detail}) from exc
        page = selectors.ticket_page(view, request.user, params=params,
                                     cursor=params.get("cursor"), size=size)
        base = reverse("api:view-tickets", args=[slug], request=request)

        def link(cursor):
            if not cursor:
                return None
            query = params.copy()
            query["cursor"] = cursor
            return f"{base}?{query.urlencode()}"

        return Response({
            "results": TicketListSerializer(page.items, many=True).data,
            "next": link(page.next_cursor),
            "previous": link(page.previous_cursor),
        })


class TicketDetailApi(APIView):
    @extend_schema(responses=TicketDetailSerializer, summary="A ticket with its conversation")
    def get(self, request, pk: int):
        return Response(TicketDetailSerializer(selectors.ticket_detail(request.user, pk)).data)


class _TicketAction(APIView):
    """Base for POST actions: the ticket must be within the user's reach."""

    input_serializer: type[serializers.Serializer]

    def post(self, request, pk: int):
        selectors.ticket_for(request.user, pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.perform(request, pk, data.validated_data)

    def detail(self, request, pk: int, status: int = 200):
        """The ticket as the action left it. Not re-checked against the user's reach: the
        action was allowed, and may have moved the ticket out of it (an L&D agent assigning
        it to Education Services); a 404 here would make a client retry a done action."""
        return Response(TicketDetailSerializer(selectors.ticket_detail_after_action(pk)).data,
                        status=status)


class VersionedInput(serializers.Serializer):
    version = serializers.CharField(
        required=False, max_length=64,
        help_text="The ticket's `version` as you last read it: a ticket changed since is "
                  "refused with 409 and its current version, never silently overwritten")


class AssignInput(VersionedInput):
    assignee_id = serializers.IntegerField(required=False, allow_null=True,
                                           help_text="Omit to assign to yourself")
    take_over = serializers.BooleanField(
        default=False, help_text="Take the ticket from the person who owns it (else 409)")


@extend_schema_view(post=extend_schema(
    request=AssignInput, responses=TicketDetailSerializer, summary="Assign"))
class AssignApi(_TicketAction):
    input_serializer = AssignInput

    def perform(self, request, pk, data):
        assignee = request.user
        if data.get("assignee_id"):
            assignee = get_object_or_404(User, pk=data["assignee_id"], is_active=True)
        services.assign_ticket(ticket_id=pk, assignee=assignee, actor=request.user,
                               version=data.get("version"), take_over=data["take_over"])
        return self.detail(request, pk)


class ReplyInput(VersionedInput):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    public = serializers.BooleanField(default=True)
    status = serializers.ChoiceField(choices=services.AGENT_SETTABLE_STATUSES, required=False,
                                     help_text='"Submit as": open, pending, hold or solved')


@extend_schema_view(post=extend_schema(
    request=ReplyInput, responses={201: CommentSerializer}, summary="Public reply or internal note"))
class ReplyApi(_TicketAction):
    input_serializer = ReplyInput

    def perform(self, request, pk, data):
        comment = services.add_comment(ticket_id=pk, actor=request.user, body=data["body"],
                                       public=data["public"], status=data.get("status"),
                                       version=data.get("version"))
        return Response(CommentSerializer(comment).data, status=201)


class StatusInput(VersionedInput):
    status = serializers.ChoiceField(choices=services.AGENT_SETTABLE_STATUSES)


@extend_schema_view(post=extend_schema(
    request=StatusInput, responses=TicketDetailSerializer, summary="Set status"))
class StatusApi(_TicketAction):
    input_serializer = StatusInput

    def perform(self, request, pk, data):
        services.set_status(ticket_id=pk, status=data["status"], actor=request.user,
                            version=data.get("version"))
        return self.detail(request, pk)


class MacroInput(VersionedInput):
    macro_id = serializers.IntegerField()


@extend_schema_view(post=extend_schema(
    request=MacroInput, responses=TicketDetailSerializer, summary="Apply a macro"))
class ApplyMacroApi(_TicketAction):
    input_serializer = MacroInput

    def perform(self, request, pk, data):
        macro = Macro.objects.filter(pk=data["macro_id"]).first()
        if macro is None:
            raise serializers.ValidationError({"macro_id": "No such macro."})
        services.apply_macro(ticket_id=pk, macro=macro, actor=request.user,
                             version=data.get("version"))
        return self.detail(request, pk)


class MacroPreviewApi(APIView):
    @extend_schema(responses=MacroChangesSerializer, summary="What a macro would change")
    def get(self, request, pk: int, macro_id: int):
        ticket = selectors.ticket_for(request.user, pk)
        macro = get_object_or_404(Macro, pk=macro_id, active=True)
        changes = services.preview_macro(ticket=ticket, macro=macro, actor=request.user)
        return Response(MacroChangesSerializer(changes).data)


class RouteInput(VersionedInput):
    rule_id = serializers.IntegerField(required=False)
    delegate_user_id = serializers.IntegerField(required=False)
    delegate_team_id = serializers.IntegerField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(post=extend_schema(
    request=RouteInput, responses=TicketDetailSerializer, summary="Route to a delegate (person or team)"))
class RouteApi(_TicketAction):
    input_serializer = RouteInput

    def perform(self, request, pk, data):
        def pick(model, key):
            if key not in data:
                return None
            found = model.objects.filter(pk=data[key]).first()
            if found is None:
                raise serializers.ValidationError({key: "Not found."})
            return found

        services.route_ticket(
            ticket_id=pk, actor=request.user, rule=pick(RoutingRule, "rule_id"),
            delegate_user=pick(User, "delegate_user_id"),
            delegate_team=pick(Team, "delegate_team_id"), note=data["note"],
            version=data.get("version"))
        return self.detail(request, pk)


class MacroListApi(APIView):
    @extend_schema(responses=MacroSerializer(many=True), summary="Active macros")
    def get(self, request):
        return Response(MacroSerializer(selectors.active_macros(), many=True).data)


class RoutingRuleListApi(APIView):
    @extend_schema(responses=RoutingRuleSerializer(many=True), summary="Active routing rules")
    def get(self, request):
        return Response(RoutingRuleSerializer(selectors.routing_rules(), many=True).data)
