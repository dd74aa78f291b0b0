"""Badges' routes: the certification results webhook (the agents' pages come later)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import webhooks


@csrf_exempt  # the Standard Webhooks signature is this endpoint's authentication
@require_POST
def certification_webhook(request) -> HttpResponse:
    return webhooks.receive(request)
