"""What the ticket domain tells the rest of the application, in its own terms."""

from django.dispatch import Signal

# Sent inside the transaction of every agent change to a ticket, after it is saved:
# kwargs ticket, action ("assign", "status", "reply", "note", "macro", "route"), actor and
# changes: status (str), assignee (User | None), group (Team | None), tags (list[str]),
# comment ({"id": local Comment pk, "html": str, "public": bool}), macro (Macro).
# Receivers that write (an adapter queueing an outbox row) join that transaction.
ticket_changed = Signal()
