"""Integration pages: Zendesk's webhook endpoint and its connection page for admins."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from edudesk.roles import ADMIN, role_required

from .zendesk import connection, sync, webhooks
from .zendesk.webhooks import Rejected


@csrf_exempt  # the HMAC signature is this endpoint's authentication
@require_POST
def zendesk_webhook(request) -> HttpResponse:
    try:
        event = webhooks.receive(secret=settings.ZENDESK_WEBHOOK_SECRET,
                                 headers=request.headers, body=request.body)
    except Rejected as exc:
        webhooks.log.warning("zendesk webhook refused (%s) from %s: %s", exc.status,
                             request.META.get("REMOTE_ADDR"), exc.reason)
        return JsonResponse({"error": exc.reason}, status=exc.status)
    return JsonResponse({"ok": True, "duplicate": event is None})


def _context() -> dict:
    return {"state": sync.sync_state(), "configured": connection.is_configured(),
            "zendesk_url": settings.ZENDESK_URL, "sync_seconds": settings.ZENDESK_SYNC_SECONDS,
            "webhook_ready": bool(settings.ZENDESK_WEBHOOK_SECRET)}


@role_required(ADMIN)
@require_GET
def zendesk_connection(request) -> HttpResponse:
    return render(request, "integrations/zendesk_connection.html", _context())


@role_required(ADMIN)
@require_GET
def zendesk_status(request) -> HttpResponse:
    """The status block alone, polled by htmx while a sync runs."""
    return render(request, "integrations/_zendesk_status.html", _context())


@role_required(ADMIN)
@require_POST
def zendesk_full_sync(request) -> HttpResponse:
    if not connection.is_configured():
        messages.error(request, "Zendesk is not configured: set ZENDESK_URL and credentials.")
    else:
        sync.start_full_sync()
        messages.success(request, "Full sync requested; progress shows below.")
    return redirect("integrations:zendesk-connection")
