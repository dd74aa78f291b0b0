"""Times shown in each person's own zone, with the zone named on every page.

The zone is read from the person's profile once, when they sign in, and kept in the session,
so no page pays a query for it; changing it on the preferences page updates the session at
once. An admin's change to someone else's zone applies from their next sign-in.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils import timezone

SESSION_KEY = "edudesk_time_zone"


def default_zone() -> str:
    """The team's zone (America/Denver), where no profile names one."""
    return getattr(settings, "DESK_TIME_ZONE", "") or "America/Denver"


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}))


def validate_zone(value: str) -> None:
    if value and value not in zone_names():
        raise ValidationError(f"{value!r} is not a time zone name (e.g. America/Denver).")


def zone_of(user) -> str:
    profile = getattr(user, "agent_profile", None) if user.is_authenticated else None
    try:
        return (profile.time_zone if profile else "") or default_zone()
    except AttributeError:
        return default_zone()


def remember(request, zone: str) -> None:
    request.session[SESSION_KEY] = zone if zone in zone_names() else default_zone()


@receiver(user_logged_in, dispatch_uid="people.remember_time_zone")
def _on_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember(request, zone_of(user))


class TimeZoneMiddleware:
    """Activates the signed-in person's zone for the request (templates, forms)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        name = session.get(SESSION_KEY) if session is not None else None
        try:
            timezone.activate(zoneinfo.ZoneInfo(name or default_zone()))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(default_zone()))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
