"""Listening to the domain apps: a ticket or thread that arrives or changes gets its
suggestions recomputed by the worker, and what the agent did is noted as feedback."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

from inbox.models import Message, Thread
from tickets.models import Ticket
from tickets.signals import ticket_changed

log = logging.getLogger(__name__)


def connect() -> None:
    ticket_changed.connect(on_ticket_changed, dispatch_uid="suggestions-ticket-changed")
    post_save.connect(on_ticket_saved, sender=Ticket, dispatch_uid="suggestions-ticket-saved")
    post_save.connect(on_thread_saved, sender=Thread, dispatch_uid="suggestions-thread-saved")
    post_save.connect(on_message_saved, sender=Message,
                      dispatch_uid="suggestions-message-saved")


def _later(subject: str, *, kind: str = "", chosen: str = "", actor=None) -> None:
    """Queue the work once the change is committed; if the broker is down, the refresh job
    picks the subject up from its updated_at (the feedback is then lost, not the change)."""
    actor_id = actor.pk if actor is not None else None

    def send() -> None:
        from .tasks import subject_changed

        try:
            subject_changed.delay(subject, kind, chosen, actor_id)
        except Exception:  # noqa: BLE001 - a queue outage must not fail the agent's action
            log.warning("suggestions: could not queue %s; the refresh job will", subject)

    transaction.on_commit(send, robust=True)


def on_ticket_changed(sender, *, ticket: Ticket, action: str, changes: dict, actor=None,
                      **kwargs) -> None:
    # A macro applied in one click, or through the reply box it filled ("reply", "note").
    if changes.get("macro") is not None:
        _later(ticket.subject_key, kind="macro", chosen=str(changes["macro"].pk), actor=actor)
    elif action == "route":
        # Which team it went to is read from the audit line in the worker (a consulted
        # channel leaves the group as it was).
        _later(ticket.subject_key, kind="delegate", actor=actor)
    elif changes.get("status") == Ticket.Status.SOLVED:
        # Solved without taking what was offered: those suggestions were ignored.
        _later(ticket.subject_key, kind="solved", chosen="solved", actor=actor)
    else:
        _later(ticket.subject_key)


def on_ticket_saved(sender, *, instance: Ticket, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        _later(instance.subject_key)


def on_thread_saved(sender, *, instance: Thread, created: bool, update_fields=None,
                    raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if update_fields and "category" in update_fields and instance.category_corrected:
        _later(instance.subject_key, kind="category",
               chosen=instance.category.slug if instance.category_id else "")
    elif created:
        _later(instance.subject_key)


def on_message_saved(sender, *, instance: Message, created: bool, raw: bool = False,
                     **kwargs) -> None:
    if created and not raw and instance.is_outbound and instance.prepared_response_id \
            and instance.author_id:
        _later(f"thread:{instance.thread_id}", kind="response",
               chosen=str(instance.prepared_response_id), actor=instance.author)
