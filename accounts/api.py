"""REST API for tokens (issue, list, revoke) and the audit trail, under /api/v1/."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from edudesk.api import ErrorSerializer
from people.roles import ADMIN, allow, has_role

from . import auditlog, selectors, tokens
from .lockout import client_ip, lockout_response
from .serializers import (
    AuditTrailEventSerializer,
    AuditTrailPageSerializer,
    IssuedTokenSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


@extend_schema(
    summary="Sign in with username and password for a new API token (each call makes another)",
    request=TokenRequestSerializer,
    responses={200: IssuedTokenSerializer,
               403: OpenApiResponse(ErrorSerializer, description="Password sign-in is off"),
               429: OpenApiResponse(ErrorSerializer, description="Too many failed sign-ins: "
                                    "the account or address is locked (see Retry-After)")},
)
class TokenObtainApi(APIView):
    # No session: a script signs in with its credentials alone (and needs no CSRF token).
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not settings.PASSWORD_LOGIN:
            return Response({"detail": "Password sign-in is switched off: sign in with Okta and "
                                       "create a token on the API tokens page."}, status=403)
        username, password = data.validated_data["username"], data.validated_data["password"]
        user = authenticate(request=request, username=username, password=password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request, credentials={"username": username})
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to sign in with these credentials."]})
        issued = tokens.issue_token(user=user, actor=user, ip=client_ip(request),
                                    name=data.validated_data.get("name", ""))
        return Response({"token": issued.key, "id": issued.token.pk,
                         "expires_at": issued.token.expires_at})


class TokenListApi(APIView):
    @extend_schema(
        summary="Your API tokens; admins may ask for every live token with ?everyone=true",
        parameters=[OpenApiParameter("everyone", bool)],
        responses=TokenSerializer(many=True),
    )
    def get(self, request):
        everyone = request.query_params.get("everyone") == "true"
        if everyone and not has_role(request.user, ADMIN):
            return Response({"detail": "Only admins may list everyone's tokens."}, status=403)
        listed = selectors.live_tokens() if everyone else selectors.tokens_of(request.user)
        return Response(TokenSerializer(listed.select_related("user"), many=True).data)


class TokenRevokeApi(APIView):
    @extend_schema(summary="Revoke an API token (yours, or anyone's for admins)", request=None,
                   responses=TokenSerializer)
    def post(self, request, pk: int):
        token = selectors.token_for(request.user, pk)
        reason = "revoked by its owner" if token.user_id == request.user.pk else \
            "revoked by an admin"
        token = tokens.revoke_token(token=token, actor=request.user, reason=reason)
        return Response(TokenSerializer(token).data, status=status.HTTP_200_OK)


class AuditEventListApi(APIView):
    permission_classes = [allow(ADMIN)]

    @extend_schema(
        summary="The application-wide audit trail, newest first (keyset pagination: follow "
                "`next`)",
        parameters=[
            OpenApiParameter("person", str, description="username or email of who acted"),
            OpenApiParameter("subject", str, description='one object ("ticket:42") or a kind '
                                                         'of object ("ticket:")'),
            OpenApiParameter("verb", str, description="the action, e.g. signed_in"),
            OpenApiParameter("since", str, description="first day, YYYY-MM-DD"),
            OpenApiParameter("until", str, description="last day, YYYY-MM-DD"),
            OpenApiParameter("cursor", str),
        ],
        responses=AuditTrailPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        filters = auditlog.parse_filters(params)
        page = auditlog.audit_page(filters, params.get("cursor"))
        base = reverse("api:audit-events", request=request)

        def link(cursor):
            if not cursor:
                return None
            query = params.copy()
            query["cursor"] = cursor
            return f"{base}?{query.urlencode()}"

        return Response({"results": AuditTrailEventSerializer(page.items, many=True).data,
                         "next": link(page.next_cursor), "previous": link(page.previous_cursor)})
