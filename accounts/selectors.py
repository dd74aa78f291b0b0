"""Reads for the account pages: tokens within reach, access requests, roles granted here."""

from django.db.models import QuerySet
from django.http import Http404

from people.roles import ADMIN, has_role

from .models import AccessRequest, ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("revoked_by")


def live_tokens() -> QuerySet[ApiToken]:
    """Every token that still opens the API, for admins."""
    return ApiToken.objects.live().select_related("user")


def token_for(actor, token_id: int) -> ApiToken:
    """A token its owner or an admin may act on; 404 for any other (not even its existence)."""
    tokens = ApiToken.objects.select_related("user")
    if not has_role(actor, ADMIN):
        tokens = tokens.filter(user=actor)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token


def access_request(pk: int) -> AccessRequest:
    request = AccessRequest.objects.filter(pk=pk).first()
    if request is None:
        raise Http404("No such access request.")
    return request


def latest_request(user) -> AccessRequest | None:
    return AccessRequest.objects.filter(user=user).order_by("-created_at", "-id").first()


def open_requests() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(status=AccessRequest.Status.OPEN).select_related(
        "user").order_by("created_at", "id")


def granted_requests() -> QuerySet[AccessRequest]:
    """Roles given on approval that still stand (an admin may withdraw them)."""
    return AccessRequest.objects.filter(status=AccessRequest.Status.APPROVED).select_related(
        "user", "decided_by")


def recently_declined(limit: int = 20) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(status=AccessRequest.Status.DECLINED).select_related(
        "user", "decided_by")[:limit]


def granted_roles(user) -> set[str]:
    """Roles an admin granted by approving a request, which an Okta sign-in keeps."""
    return set(AccessRequest.objects.filter(user=user, status=AccessRequest.Status.APPROVED)
               .values_list("role", flat=True))
