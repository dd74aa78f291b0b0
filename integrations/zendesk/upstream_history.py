"""Changes made in Zendesk, written into the ticket's history as from Zendesk.

The sync compares what Zendesk now holds with what EduDesk held for each ticket it updates.
Our own writes come back from Zendesk with the values we already hold, so they add nothing;
what differs was changed by someone in Zendesk (or a Zendesk trigger), and the agent reading
the ticket's history should see it, labelled as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model

from people.audit import subject_of
from people.models import AuditEvent, Team
from tickets.models import Ticket

VERB = "zendesk_update"
TRACKED = ("pk", "zendesk_id", "status", "priority", "assignee_id", "assignee_name",
           "group_id", "subject")
_STATUS = dict(Ticket.Status.choices)
_PRIORITY = dict(Ticket.Priority.choices)


def current(zendesk_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What EduDesk holds now for these tickets, as the comparison needs it (one query)."""
    return {row["zendesk_id"]: row
            for row in Ticket.objects.filter(zendesk_id__in=list(zendesk_ids)).values(*TRACKED)}


def record(before: Mapping[int, dict[str, Any]], after: Iterable[dict[str, Any]]) -> int:
    """One history line per ticket whose tracked fields Zendesk changed; returns how many."""
    pending: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for new in after:
        old = before.get(new["zendesk_id"])
        if old is not None and any(old[f] != new.get(f) for f in TRACKED[2:]):
            pending.append((old, new))
    if not pending:
        return 0
    users = _names(get_user_model(), {v.get("assignee_id") for pair in pending for v in pair})
    teams = _names(Team, {v.get("group_id") for pair in pending for v in pair})
    lines = []
    for old, new in pending:
        changes: dict[str, list[str]] = {}
        for field, label in (("status", _STATUS), ("priority", _PRIORITY)):
            if old[field] != new.get(field):
                changes[field] = [label.get(old[field], old[field]),
                                  label.get(new.get(field), new.get(field))]
        owners = [_owner(v, users) for v in (old, new)]
        if owners[0] != owners[1]:
            changes["assignee"] = owners
        groups = [teams.get(v.get("group_id"), "—") for v in (old, new)]
        if groups[0] != groups[1]:
            changes["group"] = groups
        if old["subject"] != new.get("subject"):
            changes["subject"] = [old["subject"], new.get("subject")]
        if not changes:
            continue
        summary = "Changed in Zendesk: " + "; ".join(
            f"{field} {was or '—'} → {now or '—'}" for field, (was, now) in changes.items())
        lines.append(AuditEvent(actor=None, verb=VERB, subject=subject_of("ticket", old["pk"]),
                                summary=summary[:300], changes=changes,
                                created_at=new["upstream_updated_at"]))
    AuditEvent.objects.bulk_create(lines)
    return len(lines)


def _names(model, ids: set) -> dict[int, str]:
    ids.discard(None)
    if not ids:
        return {}
    if model is Team:
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {u.pk: u.get_full_name() or u.get_username() for u in model.objects.filter(pk__in=ids)}


def _owner(values: Mapping[str, Any], users: Mapping[int, str]) -> str:
    if values.get("assignee_id"):
        return users.get(values["assignee_id"], "")
    return values.get("assignee_name") or "Unassigned"
