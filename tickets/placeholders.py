"""The placeholders a macro may use, checked when it is saved so none reaches a customer."""

import re

PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
KNOWN = (
    "ticket.id", "ticket.subject", "ticket.requester.name", "ticket.requester.first_name",
    "ticket.requester.email", "current_user.name", "current_user.first_name",
)


def unknown_in(text: str) -> list[str]:
    """The placeholders in `text` that EduDesk cannot fill, in order of appearance."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text or "")
                              if m.group(1) not in KNOWN))


def render(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
