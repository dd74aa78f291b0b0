"""Zendesk's pages: the webhook endpoint and the connection page for admins."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from people.roles import ADMIN, role_required

from . import conf, sync, webhooks


@csrf_exempt  # the HMAC signature is this endpoint's authentication
@require_POST
def webhook(request) -> HttpResponse:
    return webhooks.receive(request)


def _context() -> dict:
    return {"state": sync.sync_state(), "configured": conf.is_configured(),
            "zendesk_url": settings.ZENDESK_URL, "sync_seconds": settings.ZENDESK_SYNC_SECONDS,
            "webhook_ready": bool(webhooks.active_secrets())}


@role_required(ADMIN)
@require_GET
def connection_page(request) -> HttpResponse:
    return render(request, "zendesk/connection.html", _context())


@role_required(ADMIN)
@require_GET
def status(request) -> HttpResponse:
    """The status block alone, polled by htmx while a sync runs."""
    return render(request, "zendesk/_status.html", _context())


@role_required(ADMIN)
@require_POST
def full_sync(request) -> HttpResponse:
    if not conf.is_configured():
        messages.error(request, "Zendesk is not configured: set ZENDESK_URL and credentials.")
    else:
        sync.start_full_sync()
        messages.success(request, "Full sync requested; progress shows below.")
    return redirect("zendesk:connection")
