"""The rotation as an ICS calendar Google Calendar can subscribe to (written with icalendar)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from .models import Rotation
from .selectors import Week

PRODID = "-//EduDesk//LevelUp inbox rotation//EN"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "Nobody (gap)"


def rotation_ics(rotation: Rotation, weeks: Sequence[Week], *,
                 now: datetime | None = None) -> bytes:
    """One all-day event per run of working days with the same person on duty: a holiday
    or a cover splits a week, weekends are left out."""
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{rotation.name} (inbox duty)")
    cal.add("x-wr-timezone", rotation.time_zone)
    # How often subscribers should look again (Google Calendar decides for itself).
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    for week in weeks:
        for first, last, member in week.runs:
            event = Event()
            member_key = member.pk if member is not None else "gap"
            event.add("uid", f"inbox-rotation-{rotation.pk}-{first:%Y%m%d}-{member_key}@edudesk")
            event.add("dtstamp", now)
            event.add("dtstart", first)
            event.add("dtend", last + timedelta(days=1))  # exclusive, as all-day events are
            event.add("summary", f"LevelUp inbox: {_name(member)}")
            event.add("description", "On duty for the LevelUp inbox, "
                                     f"{first:%a %d %b} to {last:%a %d %b %Y}, 9:00–17:00 "
                                     f"{rotation.time_zone}.")
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    return cal.to_ical()
