"""Slack deliveries from the outbox: a channel message built from plain text and links."""

from typing import Any

from . import conf, mapping


def deliver(message) -> dict[str, Any]:
    """Outbox deliverer for system "slack"; payload: channel, text, optional links.

    The payload's text is plain text written by the domain (often quoting requesters), so it
    is escaped here; links are the only markup, and their labels are escaped too.
    """
    payload = message.payload
    text = mapping.message_text(payload.get("text") or "", payload.get("links") or [])
    answer = conf.get_client().chat_post_message(payload["channel"], text)
    return {"channel": answer.get("channel"), "ts": answer.get("ts")}
