"""How django-axes throttles password sign-ins here: who the client is, which attempts count,
how long a lock lasts, and the page that says so."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    the outermost of them saw, counted from the right of X-Forwarded-For as DRF's throttles
    count it (entries further left are whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if hop.strip()]
    if count <= 0 or not forwarded:
        return remote
    return forwarded[-min(count, len(forwarded))]


def is_not_a_password_attempt(request, credentials) -> bool:
    """Axes' whitelist: only password attempts are counted and checked. An Okta callback also
    ends in authenticate() (and in user_login_failed when it fails), and Okta throttles its own
    sign-ins; counting those here would let a broken Okta round trip lock an office out."""
    return not (credentials or {}).get("password")


def failure_limit(request, credentials) -> int:
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request=None) -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def locked_until(username: str | None, ip_address: str | None) -> datetime:
    """When the lock on this account or address ends: the cool-off after the last failure
    that counted (failures refused by the lock do not count, see settings)."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=ip_address)).aggregate(Max("attempt_time"))
    return (last["attempt_time__max"] or timezone.now()) + cool_off()


def lockout_response(request, original_response=None, credentials=None):
    """The lock, said plainly: a page for people, JSON with Retry-After for the API."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    until = locked_until(username, getattr(request, "axes_ip_address", None) or client_ip(request))
    seconds = max(1, int((until - timezone.now()).total_seconds()))
    message = (f"Too many failed sign-ins for this account or from this address: password "
               f"sign-in is locked until {timezone.localtime(until):%H:%M} "
               f"({settings.TIME_ZONE}).")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked.html", {
            "message": message, "until": until, "okta_enabled": bool(settings.OKTA_ISSUER_URL),
        }, status=429)
    response["Retry-After"] = str(seconds)
    return response
