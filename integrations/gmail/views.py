"""Gmail's connection page for admins: where the sync stands, and a full sync on request."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from people.roles import ADMIN, role_required

from . import conf, sync


def _context() -> dict:
    return {"state": sync.sync_state(), "configured": conf.is_configured(),
            "mailbox": conf.mailbox(), "group": conf.group_address(),
            "sync_seconds": getattr(settings, "GMAIL_SYNC_SECONDS", 60)}


@role_required(ADMIN)
@require_GET
def connection_page(request) -> HttpResponse:
    return render(request, "gmail/connection.html", _context())


@role_required(ADMIN)
@require_GET
def status(request) -> HttpResponse:
    """The status block alone, polled by htmx while a sync runs."""
    return render(request, "gmail/_status.html", _context())


@role_required(ADMIN)
@require_POST
def full_sync(request) -> HttpResponse:
    if not conf.is_configured():
        messages.error(request, "Gmail is not configured: set " + ", ".join(conf.NAMES) + ".")
    else:
        sync.start_full_sync()
        messages.success(request, "Full sync requested; progress shows below.")
    return redirect("gmail:connection")
