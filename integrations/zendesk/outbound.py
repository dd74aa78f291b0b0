"""Agents' ticket changes, queued for Zendesk when the ticket came from Zendesk."""


def queue_ticket_update(*, ticket, action: str, changes: dict, actor=None):
    """Called by tickets.services inside the action's transaction; returns the outbox row.

    `changes` is in local terms: status (str), assignee (User|None), group (Team|None),
    tags (full list of str), comment ({"html": str, "public": bool}), macro (Macro).
    """
    return None  # delivery to Zendesk is wired by the Zendesk sync work (issue 3)
