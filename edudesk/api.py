"""API plumbing shared by the apps: errors as JSON, and those errors in the schema."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Service functions raise Django's ValidationError; answer it as a 400 with fields."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """404 for a URL no route matches: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


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
    }

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (serializer, description) in self.ERRORS.items():
            if code not in responses:
                body = self._get_response_for_code(serializer, code, direction=direction)
                body["description"] = description
                responses[code] = body
        return responses
