"""Pages for signing in, asking for access (and deciding on it), and managing API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from people import audit, timezones
from people.models import AgentProfile
from people.roles import (
    ADMIN,
    ALL_ROLES,
    CONSOLE_ROLES,
    ROLE_LABELS,
    has_role,
    role_required,
    roles_of,
)

from . import access, selectors, tokens
from .lockout import client_ip


class SignInView(auth_views.LoginView):
    """Okta first when configured; the password form only while PASSWORD_LOGIN is on."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "password_login": settings.PASSWORD_LOGIN}

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            messages.error(request, "Password sign-in is switched off here; sign in with Okta.")
            return redirect("login")
        return super().post(request, *args, **kwargs)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---- access requests -------------------------------------------------------------------
def access_page(request, *, status: int = 200, error: str = "", reason: str = ""):
    """What EduDesk is and "Request access", for someone signed in without a role; also the
    403 page such a person meets anywhere else (edudesk.api.permission_denied)."""
    return render(request, "accounts/access.html", {
        "latest": selectors.latest_request(request.user), "error": error, "reason": reason,
    }, status=status)


@login_required
@require_GET
def access_home(request):
    if roles_of(request.user):
        return redirect("tickets:home")
    return access_page(request)


@login_required
@require_POST
def request_access(request):
    reason = request.POST.get("reason", "")
    try:
        access.request_access(user=request.user, reason=reason)
    except ValidationError as exc:
        return access_page(request, status=400, error=_errors(exc), reason=reason)
    messages.success(request, "Your request is on its way to the admins; you will hear by mail.")
    return redirect("accounts:access")


@role_required(ADMIN)
@require_GET
def access_requests(request):
    return render(request, "accounts/access_requests.html", {
        "open": selectors.open_requests(), "granted": selectors.granted_requests(),
        "declined": selectors.recently_declined(),
        "roles": [(role, ROLE_LABELS[role]) for role in ALL_ROLES],
    })


def _decision(request, action, success: str):
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, success)
    return redirect("accounts:access-requests")


@role_required(ADMIN)
@require_POST
def approve_request(request, pk: int):
    role = request.POST.get("role", "")
    return _decision(request, lambda: access.approve_access(
        request_id=selectors.access_request(pk).pk, actor=request.user, role=role),
        "Approved; the requester has been told by mail.")


@role_required(ADMIN)
@require_POST
def decline_request(request, pk: int):
    reason = request.POST.get("reason", "")
    return _decision(request, lambda: access.decline_access(
        request_id=selectors.access_request(pk).pk, actor=request.user, reason=reason),
        "Declined; the requester has been told by mail.")


@role_required(ADMIN)
@require_POST
def withdraw_request(request, pk: int):
    return _decision(request, lambda: access.withdraw_access(
        request_id=selectors.access_request(pk).pk, actor=request.user), "Access withdrawn.")


# ---- API tokens --------------------------------------------------------------------------
def _tokens_page(request, *, issued=None, status: int = 200):
    is_admin = has_role(request.user, ADMIN)
    return render(request, "accounts/tokens.html", {
        "tokens": selectors.tokens_of(request.user), "issued": issued, "is_admin": is_admin,
        "everyone": selectors.live_tokens() if is_admin else None,
        "days": settings.API_TOKEN_DAYS,
    }, status=status)


@role_required(*CONSOLE_ROLES)
@require_GET
def token_list(request):
    return _tokens_page(request)


@role_required(*CONSOLE_ROLES)
@require_POST
def create_token(request):
    # The key is shown in this answer only (never stored, never put in a message).
    issued = tokens.issue_token(user=request.user, actor=request.user, ip=client_ip(request),
                                name=request.POST.get("name", ""))
    return _tokens_page(request, issued=issued, status=201)


@role_required(*CONSOLE_ROLES)
@require_POST
def revoke_token(request, pk: int):
    token = selectors.token_for(request.user, pk)
    by_owner = token.user_id == request.user.pk
    tokens.revoke_token(token=token, actor=request.user,
                        reason="revoked by its owner" if by_owner else "revoked by an admin")
    messages.success(request, f"Token {token.key_prefix}… revoked.")
    return redirect("accounts:tokens")


@role_required(*CONSOLE_ROLES)
def preferences(request):
    """The person's own settings: today, the zone their times are shown in."""
    profile, _ = AgentProfile.objects.get_or_create(user=request.user)
    error, status = "", 200
    if request.method == "POST":
        zone = request.POST.get("time_zone", "").strip()
        try:
            timezones.validate_zone(zone)
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            if zone != profile.time_zone:
                with transaction.atomic():
                    audit.record(actor=request.user, verb="preferences",
                                 subject=audit.subject_of("user", request.user.pk),
                                 summary=f"time zone {profile.time_zone or 'team'} -> "
                                         f"{zone or 'team'}",
                                 changes={"time_zone": [profile.time_zone, zone]})
                    profile.time_zone = zone
                    profile.save(update_fields=["time_zone"])
            timezones.remember(request, zone or timezones.default_zone())
            messages.success(request, f"Times are now shown in {zone or timezones.default_zone()}.")
            return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {
        "zones": timezones.zone_names(), "current": profile.time_zone, "error": error,
        "default_zone": timezones.default_zone()}, status=status)
