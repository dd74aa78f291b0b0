"""The suggestions panel's one action of its own: "not helpful". Taking a suggestion goes
through the console's and the inbox's own forms (the macro preview still shows first)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from inbox import selectors as inbox_selectors
from inbox.views import INBOX_ROLES
from people.roles import CONSOLE_ROLES, role_required
from tickets import selectors as ticket_selectors

from . import services
from .learning import KINDS


def _dismiss(request, subject: str) -> bool:
    kind = request.POST.get("kind", "")
    label = request.POST.get("label", "").strip()[:200]
    if kind not in KINDS or not label:
        messages.error(request, "Nothing to dismiss.")
        return False
    services.dismiss(subject=subject, kind=kind, label=label, actor=request.user)
    messages.success(request, "Noted: that suggestion was not helpful.")
    return True


@role_required(*CONSOLE_ROLES)
@require_POST
def dismiss_for_ticket(request, pk: int):
    ticket = ticket_selectors.ticket_for(request.user, pk)  # 404 outside the user's reach
    _dismiss(request, ticket.subject_key)
    return redirect("tickets:ticket", pk=ticket.pk)


@role_required(*INBOX_ROLES)
@require_POST
def dismiss_for_thread(request, pk: int):
    thread = inbox_selectors.thread_for(pk)
    _dismiss(request, thread.subject_key)
    return redirect("inbox:thread", pk=thread.pk)
