"""API plumbing shared by the apps: errors as JSON, and those errors in the schema."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from people.roles import roles_of


def exception_handler(exc, context):
    """Every API error in one shape: {"field": ["message", ...]} or {"detail": "..."}.

    Service functions raise Django's ValidationError; it is answered as a 400 with fields.
    """
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        # A domain refusal that is a conflict (a stale version, a ticket someone else owns)
        # says so with its status and what the client needs to decide again.
        code = getattr(exc, "http_status", status.HTTP_400_BAD_REQUEST)
        return Response({**detail, **getattr(exc, "extra", {})}, status=code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


def wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/hooks/"))


def not_found(request, exception=None):
    """404 for a URL no route matches: JSON under /api/, the styled page elsewhere."""
    if wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """400 from Django itself (a body over the upload limit, a bad host): JSON under /api/."""
    if wants_json(request):
        detail = "Request body too large." if "too large" in str(exception or "").lower() or \
            type(exception).__name__ == "RequestDataTooBig" else "Bad request."
        return JsonResponse({"detail": detail}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if wants_json(request):
        return JsonResponse({"detail": str(exception or "") or "Forbidden."}, status=403)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and not roles_of(user):
        # Someone signed in without any role is told what EduDesk is and how to ask for access.
        from accounts.views import access_page

        return access_page(request, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    if wants_json(request):
        return JsonResponse({"detail": "Server error; nothing was changed if the request "
                                       "failed before it was saved. Try again."}, status=500)
    return defaults.server_error(request)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """{"field": ["message", ...], ...}: one list of messages per field in error."""

    class Meta:
        ref_name = "FieldErrors"

    def to_representation(self, instance):
        return instance


class DocumentedErrorsSchema(AutoSchema):
    """Every operation documents the errors every operation can give."""

    ERRORS = {
        "400": (FieldErrorsSerializer, "Invalid input: messages by field; nothing was changed"),
        "401": (ErrorSerializer, "Not signed in (send `Authorization: Token <key>`)"),
        "403": (ErrorSerializer, "Your role does not give access to this endpoint"),
        "404": (ErrorSerializer, "No such object, or not one within your reach"),
        "429": (ErrorSerializer, "Too many requests: try again after `Retry-After` seconds"),
    }

    CONFLICT = (FieldErrorsSerializer, "The ticket changed since the `version` you sent, or "
                                       "belongs to someone else: the body says what and "
                                       "carries the current version; nothing was changed")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(self.ERRORS)
        if self.method == "POST":
            errors["409"] = self.CONFLICT
        for code, (serializer, description) in errors.items():
            if code not in responses:
                body = self._get_response_for_code(serializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses
