"""Every change to the inbox and its rotation: one transaction each, with its audit line and,
where something leaves EduDesk, its outbox row."""

from .rotation import (
    assign_shift,
    cancel_override,
    cover_days,
    create_calendar_feed,
    flag_overdue_threads,
    flag_rotation_gaps,
    generate_shifts,
    note_feed_fetched,
    plan_all,
    revoke_calendar_feed,
    send_shift_reminders,
    swap_shifts,
)
from .threads import (
    AGENT_SETTABLE_STATUSES,
    GMAIL,
    SLACK,
    IncomingMessage,
    assign_thread,
    categorise,
    correct_category,
    escalate_thread,
    mailbox_for,
    mark_done,
    render_placeholders,
    reply_to_thread,
    set_thread_status,
    store_messages,
    thread_subject,
    thread_url,
)

__all__ = [
    "AGENT_SETTABLE_STATUSES", "GMAIL", "SLACK", "IncomingMessage", "assign_shift",
    "assign_thread", "cancel_override", "categorise", "correct_category", "cover_days",
    "create_calendar_feed", "escalate_thread", "flag_overdue_threads", "flag_rotation_gaps",
    "generate_shifts", "mailbox_for", "mark_done", "note_feed_fetched", "plan_all",
    "render_placeholders", "reply_to_thread", "revoke_calendar_feed", "send_shift_reminders",
    "set_thread_status", "store_messages", "swap_shifts", "thread_subject", "thread_url",
]
