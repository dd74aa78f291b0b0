"""What Zendesk refuses in a ticket create or update, as the `details` of its 422 RecordInvalid."""

from __future__ import annotations

from typing import Any

from integrations.zendesk.fake import data

MAX_COMMENTS = 5000
# PUT field name -> TicketRecord attribute
FIELDS = {"status": "status", "priority": "priority", "type": "type", "subject": "subject",
          "assignee_id": "assignee_id", "group_id": "group_id", "ticket_form_id": "form_id",
          "requester_id": "requester_id"}
TAG_FIELDS = ("tags", "additional_tags", "remove_tags")


def detail(description: str, err: str = "InvalidValue") -> list[dict[str, str]]:
    return [{"description": description, "error": err}]


def tag_list(value: Any) -> list[str]:
    """Tags as Zendesk stores them: lower-cased, and split where a tag has whitespace (macro
    actions carry them as one space-separated string)."""
    items = value.split() if isinstance(value, str) else list(value or [])
    return [part for item in items for part in str(item).lower().split()]


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is no id


def _types(ch: dict[str, Any]) -> dict[str, Any]:
    """Wrongly typed values; checked first, so the lookups below see only well-typed ones."""
    details: dict[str, Any] = {}
    for name in TAG_FIELDS:
        value = ch.get(name)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            details[name] = detail(f"{name.replace('_', ' ').capitalize()}: must be a list of "
                                   "strings")
    for name in ("status", "subject", "priority", "type"):
        if name in ch and ch[name] is not None and not isinstance(ch[name], str):
            details[name] = detail(f"{name.capitalize()}: must be a string")
    for name in ("assignee_id", "group_id", "requester_id", "ticket_form_id"):
        if name in ch and not (_is_id(ch[name]) or (ch[name] is None
                                                    and name in ("assignee_id", "group_id"))):
            details[name] = detail(f"{name}: must be an integer id")
    comment = ch.get("comment")
    if comment is not None and not isinstance(comment, dict):
        details["comment"] = detail("Comment: must be an object")
    elif comment:
        bad = [k for k, kind in (("body", str), ("html_body", str), ("public", bool))
               if comment.get(k) is not None and not isinstance(comment[k], kind)]
        if "author_id" in comment and not _is_id(comment["author_id"]):
            bad.append("author_id")
        if bad:
            details["comment"] = detail(f"Comment: invalid {', '.join(bad)}")
    return details


def validate(t: data.TicketRecord, ch: dict[str, Any], users: dict[int, dict[str, Any]],
             groups: dict[int, Any], forms: dict[int, Any]) -> dict[str, Any]:
    """The 422 details for applying `ch` to `t`; empty when Zendesk would accept it."""
    details = _types(ch)
    if details:
        return details
    if t.status == "closed":
        details["status"] = detail("Status: closed prevents ticket update", "ClosedTicket")
    if "status" in ch and ch["status"] not in data.STATUSES:
        details["status"] = detail(f"Status: {ch['status']!r} is not a valid value")
    if ch.get("priority") not in (None, "", *data.PRIORITIES):
        details["priority"] = detail(f"Priority: {ch['priority']!r} is not valid")
    if ch.get("type") not in (None, "", *data.TYPES):
        details["type"] = detail(f"Type: {ch['type']!r} is not valid")
    assignee = ch.get("assignee_id")
    if assignee is not None and users.get(assignee, {}).get("role") not in ("agent", "admin"):
        details["assignee"] = detail("Assignee: is not an agent")
    if ch.get("group_id") is not None and ch["group_id"] not in groups:
        details["group"] = detail("Group: is invalid")
    if "ticket_form_id" in ch and ch["ticket_form_id"] not in forms:
        details["ticket_form_id"] = detail("Ticket form: is invalid")
    if "requester_id" in ch and ch["requester_id"] not in users:
        details["requester"] = detail("Requester: is invalid")
    if ch.get("comment") and t.comment_count >= MAX_COMMENTS:
        details["base"] = detail(
            f"Ticket comments: a ticket can have at most {MAX_COMMENTS} comments",
            "TooManyComments")
    return details
