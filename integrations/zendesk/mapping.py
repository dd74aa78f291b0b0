"""Zendesk JSON to EduDesk field values, with no queries; bad data is fixed where safe, else refused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from edudesk.html import sanitize_html, text_to_html
from integrations.times import parse_time
from tickets.models import Ticket
from tickets.rules import region_of, topic_of

MAX_SUBJECT_CHARS = 255
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 65_000
# Zendesk allows 64 KB per comment; anything larger is not a comment a person wrote.
MAX_COMMENT_CHARS = 200_000
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Worth a line in the log when sanitising removes it (ordinary class/style noise is not).
ACTIVE_CONTENT = re.compile(r"<\s*(script|style|iframe|object|embed|form)\b|\son\w+\s*=|javascript:",
                            re.IGNORECASE)


class Malformed(ValueError):
    """An upstream item that cannot be imported as it is; the message says why."""


@dataclass
class Lookups:
    """Zendesk ids to local primary keys, loaded once per run (they are small)."""

    teams: dict[int, int] = field(default_factory=dict)
    forms: dict[int, int] = field(default_factory=dict)
    agents: dict[int, int] = field(default_factory=dict)  # Zendesk user id -> User pk
    regions: dict[str, int] = field(default_factory=dict)  # "AMER" -> Region pk




def zendesk_time(value: datetime | None) -> str | None:
    """The form Zendesk uses for updated_at (and expects back as updated_stamp)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return CONTROL_CHARS.sub("", text).strip()[:limit]


def _id(value: Any) -> int | None:
    # bool is an int in Python; an id of `true` is bad data, not ticket 1.
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def tag_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [t for t in (plain(v, 80).lower() for v in value if isinstance(v, str)) if t]


def ticket_fields(item: Any, lookups: Lookups,
                  people: dict[int, tuple[str, str]]) -> tuple[dict[str, Any], list[str]]:
    """Field values for Ticket(**values), and the fixes made on the way (for the log)."""
    if not isinstance(item, dict) or _id(item.get("id")) is None:
        raise Malformed("ticket without an id")
    fixes: list[str] = []
    status = item.get("status")
    if status not in Ticket.Status.values:
        raise Malformed(f"ticket {item['id']}: unknown status {status!r}")
    created = parse_time(item.get("created_at"))
    updated = parse_time(item.get("updated_at")) or created
    if updated is None:
        raise Malformed(f"ticket {item['id']}: no updated_at or created_at")
    subject = plain(item.get("subject") or item.get("raw_subject"), MAX_SUBJECT_CHARS)
    if not subject:
        subject = "(no subject)"
        fixes.append("subject missing")
    description = item.get("description") if isinstance(item.get("description"), str) else ""
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[:MAX_DESCRIPTION_CHARS]
        fixes.append("description cut")
    priority = item.get("priority") or Ticket.Priority.NORMAL
    if priority not in Ticket.Priority.values:
        fixes.append(f"priority {priority!r}")
        priority = Ticket.Priority.NORMAL
    tags = tag_list(item.get("tags"))
    assignee = _id(item.get("assignee_id"))
    name, email = people.get(_id(item.get("requester_id")) or 0, ("", ""))
    return {
        "zendesk_id": item["id"],
        "subject": subject,
        "description": CONTROL_CHARS.sub("", description),
        "requester_name": name,
        "requester_email": email,
        "status": status,
        "priority": priority,
        "form_id": lookups.forms.get(_id(item.get("ticket_form_id")) or 0),
        "group_id": lookups.teams.get(_id(item.get("group_id")) or 0),
        "tags": Ticket.pack_tags(tags),
        "topic": topic_of(tags),
        "region_id": region_of(tags, lookups.regions),
        "assignee_id": lookups.agents.get(assignee or 0),
        "assignee_name": owner_name(assignee, lookups, people),
        "created_at": created or updated,
        "updated_at": updated,
        "upstream_updated_at": updated,
    }, fixes


def owner_name(assignee: int | None, lookups: Lookups,
               people: dict[int, tuple[str, str]]) -> str:
    """The owner's name when the assignee has no EduDesk login (they still own the ticket)."""
    if assignee is None or assignee in lookups.agents:
        return ""
    return people.get(assignee, ("", ""))[0] or f"Zendesk agent {assignee}"


def person(item: Any) -> tuple[int, str, str, str] | None:
    """(id, name, email, role) of a Zendesk user, or None when it has no usable id."""
    if not isinstance(item, dict) or _id(item.get("id")) is None:
        return None
    email = plain(item.get("email"), 254).lower()
    if "@" not in email:
        email = ""
    return (item["id"], plain(item.get("name"), MAX_NAME_CHARS), email,
            plain(item.get("role"), 20))


def comment_fields(child: Any, ticket_pk: int, event: dict[str, Any], lookups: Lookups,
                   names: dict[int, str]) -> tuple[dict[str, Any], list[str]]:
    """Field values for Comment(**values) from a Comment child event of the ticket events export."""
    if not isinstance(child, dict) or _id(child.get("id")) is None:
        raise Malformed(f"comment on ticket {event.get('ticket_id')} without an id")
    fixes: list[str] = []
    html = child.get("html_body") if isinstance(child.get("html_body"), str) else ""
    text = child.get("body") if isinstance(child.get("body"), str) else ""
    if len(html) > MAX_COMMENT_CHARS or len(text) > MAX_COMMENT_CHARS:
        html, text = html[:MAX_COMMENT_CHARS], text[:MAX_COMMENT_CHARS]
        fixes.append("body cut")
    body = sanitize_html(html) if html else text_to_html(text)
    if html and ACTIVE_CONTENT.search(html):
        fixes.append("active content removed")
    author = _id(child.get("author_id")) or _id(event.get("updater_id"))
    public = child.get("public", child.get("comment_public", True))
    created = (parse_time(child.get("created_at")) or parse_time(event.get("created_at"))
               or datetime.fromtimestamp(int(event.get("timestamp") or 0), UTC))
    return {
        "zendesk_id": child["id"],
        "ticket_id": ticket_pk,
        "author_id": lookups.agents.get(author or 0),
        "author_name": names.get(author or 0, "")[:MAX_NAME_CHARS],
        "is_public": public is not False,
        "body_html": body,
        "created_at": created,
    }, fixes


def macro_fields(item: dict[str, Any], lookups: Lookups) -> dict[str, Any]:
    """A Zendesk macro as a local read-only macro; actions EduDesk cannot express are dropped
    (applying it still sends the macro itself to Zendesk, which does all of them)."""
    fields: dict[str, Any] = {
        "title": plain(item.get("title"), 200).replace("::", " > ") or f"Macro {item['id']}",
        "active": item.get("active") is not False,
        "comment": "", "comment_is_public": True, "set_status": "", "add_tags": "",
        "remove_tags": "", "set_group_id": None, "set_assignee_id": None,
        "assign_to_actor": False,
    }
    for action in item.get("actions") or []:
        if not isinstance(action, dict):
            continue
        name, value = action.get("field"), action.get("value")
        if name == "comment_value":
            text = value[-1] if isinstance(value, list) and value else value
            fields["comment"] = plain(text, MAX_DESCRIPTION_CHARS)
        elif name == "comment_mode_is_public":
            fields["comment_is_public"] = value in (True, "true")
        elif name == "status" and value in Ticket.Status.values:
            fields["set_status"] = value
        elif name in ("current_tags", "set_tags"):
            fields["add_tags"] = " ".join(tag_list(str(value).split()))[:300]
        elif name == "remove_tags":
            fields["remove_tags"] = " ".join(tag_list(str(value).split()))[:300]
        elif name == "group_id":
            fields["set_group_id"] = lookups.teams.get(_id(_int(value)) or 0)
        elif name == "assignee_id" and value == "current_user":
            # Zendesk's "assign to me": whoever applies it, never the integration account.
            fields["assign_to_actor"] = True
        elif name == "assignee_id":
            fields["set_assignee_id"] = lookups.agents.get(_id(_int(value)) or 0)
    return fields


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
