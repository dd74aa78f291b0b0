"""Credly's routes: its event notifications."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import webhooks


@csrf_exempt  # Credly signs nothing; the handler trusts only what the API says
@require_POST
def webhook(request) -> HttpResponse:
    return webhooks.receive(request)
