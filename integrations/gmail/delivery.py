"""Replies written in EduDesk, sent from the group's address in their Gmail thread."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

from django.db import transaction

from inbox.models import Message
from integrations.errors import PermanentError
from integrations.models import OutboxMessage

from . import conf, mapping
from .client import GmailClient

log = logging.getLogger(__name__)
SYSTEM = "gmail"


def original_of(parent: Message) -> dict[str, Any]:
    """The message answered, in the shape mapping.build_reply quotes and threads from."""
    return {"message_id": parent.rfc_message_id or None,
            "references": list(parent.headers.get("references") or []),
            "from": {"name": parent.from_name, "address": parent.from_address},
            "to": list(parent.to or []), "cc": list(parent.cc or []),
            "reply_to": list(parent.headers.get("reply_to") or []),
            "subject": parent.subject or parent.thread.subject, "date": parent.sent_at,
            "text": parent.body_text}


def reply_mime(reply: Message, parent: Message) -> EmailMessage:
    """Our reply as RFC 822: from the group, to whom it was written, in reply to `parent`
    (In-Reply-To, References), quoting it, with the Message-ID stored on our copy so the
    sync recognises it when Gmail hands it back."""
    mailbox = reply.thread.mailbox
    mime = mapping.build_reply(original_of(parent), text=reply.body_text,
                               group_address=mailbox.address, group_name=mailbox.name,
                               to=reply.to, cc=reply.cc, quoted_html=parent.body_html or None,
                               date=reply.sent_at)
    if reply.rfc_message_id:
        del mime["Message-ID"]
        mime["Message-ID"] = reply.rfc_message_id
    return mime


def _already_sent(client: GmailClient, rfc_message_id: str) -> dict[str, Any] | None:
    """A previous attempt whose answer was lost may have been sent: Gmail keeps no
    idempotency key, so look for our Message-ID in the mailbox first."""
    if not rfc_message_id:
        return None
    found = client.messages_page(q=f"rfc822msgid:{rfc_message_id.strip('<>')}",
                                 page_size=1).get("messages") or []
    return found[0] if found else None


def deliver(message: OutboxMessage) -> dict[str, Any]:
    """Outbox deliverer for system "gmail"; payload: message_pk (our reply), reply_to_pk."""
    payload = message.payload
    reply = (Message.objects.select_related("thread", "thread__mailbox")
             .filter(pk=payload.get("message_pk"), direction=Message.Direction.OUTBOUND).first())
    if reply is None:
        raise PermanentError("The reply no longer exists in EduDesk.")
    thread = reply.thread
    if reply.gmail_id:
        return {"gmail_id": reply.gmail_id, "thread_id": thread.gmail_thread_id,
                "note": "already in Gmail"}
    parent = (Message.objects.select_related("thread").filter(pk=payload.get("reply_to_pk"))
              .first())
    if parent is None:
        raise PermanentError("The message this reply answers no longer exists in EduDesk.")
    client = conf.get_client()
    answer = _already_sent(client, reply.rfc_message_id) if message.attempts > 1 else None
    if answer is None:
        answer = client.send_message(reply_mime(reply, parent).as_bytes(),
                                     thread_id=thread.gmail_thread_id or None)
    return record_sent(reply, answer)


def record_sent(reply: Message, answer: dict[str, Any]) -> dict[str, Any]:
    """Keep Gmail's id on our copy (the sync then knows it); a copy the sync stored first
    is the same mail, so ours replaces it."""
    gmail_id, thread_id = str(answer.get("id") or ""), str(answer.get("threadId") or "")
    if gmail_id:
        with transaction.atomic():
            Message.objects.filter(gmail_id=gmail_id).exclude(pk=reply.pk).delete()
            Message.objects.filter(pk=reply.pk).update(gmail_id=gmail_id)
    in_thread = thread_id == reply.thread.gmail_thread_id
    if not in_thread:
        log.warning("gmail filed reply %s in thread %s, not %s", reply.pk, thread_id,
                    reply.thread.gmail_thread_id)
    return {"gmail_id": gmail_id, "thread_id": thread_id, "in_thread": in_thread}
