"""Bulk actions on the ticket list: one change applied to many tickets, and what became of each.

Every ticket goes through the same single-ticket service as on its own page (its version
checked, its audit line, its outbox row, in its own transaction), so a bulk action follows
the same rules and a refusal on one ticket leaves the others changed. Zendesk receives one
safe_update PUT per ticket within the shared rate budget: update_many takes neither
safe_update nor an idempotency key, so it would overwrite a colleague's newer change and
could apply a retried job twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from integrations import outbox
from integrations.models import OutboxMessage
from people.roles import REPORT_ROLES, has_role

from . import selectors, services
from .models import BulkAction, Macro, Ticket

MAX_TICKETS = 100
CHANGED, UNCHANGED, SKIPPED = "changed", "unchanged", "skipped"


def parse_selection(values: list[str]) -> list[tuple[int, str | None]]:
    """The list's checkboxes ("<id>" or "<id>@<version seen>") as (ticket id, version).

    Garbage is refused as a whole, naming it: a bulk action never runs on a guess.
    """
    selection: dict[int, str | None] = {}
    garbage: list[str] = []
    for value in values:
        number, _, seen = str(value).strip().partition("@")
        if not (number.isascii() and number.isdigit() and 0 < len(number) <= 18):
            garbage.append(value)
            continue
        version = _version(seen) if seen else None
        if seen and version is None:
            garbage.append(value)
            continue
        selection.setdefault(int(number), version)
    if garbage:
        shown = ", ".join(repr(g[:40]) for g in garbage[:3])
        raise ValidationError({"ticket": f"These are not tickets of the list: {shown}."})
    if not selection:
        raise ValidationError({"ticket": "Select at least one ticket."})
    if len(selection) > MAX_TICKETS:
        raise ValidationError({"ticket": f"Select at most {MAX_TICKETS} tickets at a time "
                                         f"(you selected {len(selection)})."})
    return list(selection.items())


def _version(seen: str) -> str | None:
    # The list writes the time in any zone; the services compare versions as UTC ISO text.
    try:
        moment = datetime.fromisoformat(seen)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).isoformat()  # as services.version_of writes it


@dataclass(frozen=True)
class Change:
    """What a bulk action does to one ticket: the service call and how to describe it."""

    action: str
    summary: str
    apply: Callable[[int, str | None], Ticket]


def status_change(*, status: str, actor) -> Change:
    if status not in services.AGENT_SETTABLE_STATUSES:
        raise ValidationError({"status": "Choose open, pending, hold or solved."})
    return Change(BulkAction.Action.STATUS, f"Status set to {status}",
                  lambda pk, version: services.set_status(ticket_id=pk, status=status,
                                                          actor=actor, version=version))


def assign_change(*, assignee, actor, take_over: bool = False) -> Change:
    if assignee is None or not assignee.is_active:
        raise ValidationError({"assignee": "Choose an active agent to assign the tickets to."})
    name = assignee.get_full_name() or assignee.get_username()
    return Change(BulkAction.Action.ASSIGN, f"Assigned to {name}",
                  lambda pk, version: services.assign_ticket(
                      ticket_id=pk, assignee=assignee, actor=actor, version=version,
                      take_over=take_over))


def macro_change(*, macro: Macro | None, actor) -> Change:
    if macro is None or not macro.active:
        raise ValidationError({"macro": "Choose an active macro to apply."})
    return Change(BulkAction.Action.MACRO, f"Applied macro {macro.title}",
                  lambda pk, version: services.apply_macro(ticket_id=pk, macro=macro,
                                                           actor=actor, version=version))


def run_bulk_action(*, actor, change: Change,
                    selection: list[tuple[int, str | None]]) -> BulkAction:
    """Apply `change` to each selected ticket the actor may see; record every outcome."""
    reachable = {t.pk: t for t in selectors.tickets_visible_to(actor).filter(
        pk__in=[pk for pk, _ in selection])}
    results = []
    for pk, version in selection[:MAX_TICKETS]:
        ticket = reachable.get(pk)
        if ticket is None:
            results.append({"ticket": pk, "number": None, "subject": "", "outcome": SKIPPED,
                            "reason": "Not a ticket you can reach (or no longer there).",
                            "outbox": []})
            continue
        results.append({"ticket": pk, "number": ticket.number, "subject": ticket.subject,
                        **_apply_one(change, ticket, version)})
    return BulkAction.objects.create(actor=actor, action=change.action,
                                     summary=change.summary[:300], results=results)


def _apply_one(change: Change, ticket: Ticket, version: str | None) -> dict:
    try:
        with outbox.watch_dispatch() as watch:
            after = change.apply(ticket.pk, version)
    except services.StaleTicket as exc:
        what = "; ".join(exc.changes) or "it was updated in Zendesk"
        return _outcome(SKIPPED, f"Changed since the list was loaded ({what}); look at it "
                                 "again, then apply your change.")
    except services.OwnedByAnother as exc:
        return _outcome(SKIPPED, f"Belongs to {exc.owner}; tick “take over” to assign it "
                                 "anyway.")
    except ValidationError as exc:
        return _outcome(SKIPPED, " ".join(exc.messages))
    if after.updated_at == ticket.updated_at:
        return _outcome(UNCHANGED, "Already so: nothing to change.")
    return _outcome(CHANGED, "", watch.enqueued)


def _outcome(outcome: str, reason: str, outbox_ids: list[int] | None = None) -> dict:
    return {"outcome": outcome, "reason": reason, "outbox": list(outbox_ids or [])}


# ---- reading -----------------------------------------------------------------------------
def bar_choices(user) -> dict:
    """What the list's bulk bar offers (querysets: read only when the bar is drawn)."""
    return {
        "statuses": services.AGENT_SETTABLE_STATUSES,
        "agents": get_user_model().objects.filter(is_active=True, agent_profile__isnull=False)
        .exclude(pk=user.pk).order_by("first_name", "username"),
        "macros": selectors.active_macros(),
        "max": MAX_TICKETS,
    }


def bulk_actions_for(user) -> QuerySet[BulkAction]:
    """Bulk actions a user may look at: their own; managers and admins see everyone's."""
    actions = BulkAction.objects.select_related("actor")
    return actions if has_role(user, *REPORT_ROLES) else actions.filter(actor=user)


@dataclass
class Report:
    """A bulk action with each ticket's delivery as the outbox has it now."""

    bulk: BulkAction
    rows: list[dict]
    counts: dict[str, int]

    @property
    def is_settling(self) -> bool:
        """Some change is still on its way to Zendesk: the page keeps polling."""
        return self.counts["queued"] > 0


def report(bulk: BulkAction) -> Report:
    ids = [pk for entry in bulk.results for pk in entry.get("outbox", [])]
    messages = OutboxMessage.objects.in_bulk(ids) if ids else {}
    counts = dict.fromkeys((CHANGED, UNCHANGED, SKIPPED, "queued", "delivered", "failed"), 0)
    rows = []
    for entry in bulk.results:
        deliveries = [messages[pk] for pk in entry.get("outbox", []) if pk in messages]
        delivery = _delivery(deliveries) if entry["outcome"] == CHANGED else None
        counts[entry["outcome"]] += 1
        if delivery:
            counts[delivery["state"]] += 1
        rows.append({**entry, "delivery": delivery})
    return Report(bulk, rows, counts)


def _delivery(deliveries: list[OutboxMessage]) -> dict:
    """One ticket's deliveries summed up: failed if any failed (Zendesk's words), else
    queued while any is on its way, else delivered."""
    if not deliveries:
        return {"state": "delivered", "text": "Saved here; nothing to send (not a Zendesk "
                                              "ticket)."}
    refused = [m for m in deliveries if m.state in (OutboxMessage.State.FAILED,
                                                    OutboxMessage.State.CONFLICT)]
    if refused:
        return {"state": "failed", "text": "; ".join(
            f"{m.get_state_display()}: {m.last_error}" for m in refused)}
    if any(m.state == OutboxMessage.State.QUEUED for m in deliveries):
        waiting = next((m.last_error for m in deliveries if m.last_error), "")
        return {"state": "queued", "text": "Queued" + (
            f" (retrying after: {waiting})" if waiting else "")}
    systems = sorted({m.system.title() for m in deliveries})
    return {"state": "delivered", "text": f"Delivered to {' and '.join(systems)}"}
