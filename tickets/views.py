"""The agent console in the browser: parse the request, check the role, call one function."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from edudesk.roles import CONSOLE_ROLES, role_required
from integrations import outbox
from integrations.models import OutboxMessage

from . import presence, selectors, services
from .models import Macro, Region, RoutingRule, Team, Ticket

User = get_user_model()


@role_required(*CONSOLE_ROLES)
@require_GET
def home(request):
    views = selectors.views_for(request.user)
    return redirect("tickets:view", slug=views[0].slug) if views else render(
        request, "tickets/no_views.html")


@role_required(*CONSOLE_ROLES)
@require_GET
def view_tickets(request, slug: str):
    views = selectors.views_for(request.user)
    view = next((v for v in views if v.slug == slug), None)
    if view is None:
        messages.error(request, f"There is no view “{slug}” among yours.")
        return render(request, "tickets/no_views.html", {"views": views}, status=404)
    try:
        page = selectors.ticket_page(view, request.user, params=request.GET,
                                     cursor=request.GET.get("cursor"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        page = selectors.Page([], None, None)
    context = {
        "views": views, "view": view, "page": page,
        "filters": {key: request.GET.get(key, "") for key in ("q", "region", "status", "unassigned", "sort")},
        "regions": Region.objects.all(), "statuses": Ticket.Status.choices,
        "sorts": view.Sort.choices,
    }
    template = "tickets/_ticket_rows.html" if request.htmx and request.htmx.target == "ticket-list" \
        else "tickets/view.html"
    return render(request, template, context)


@role_required(*CONSOLE_ROLES)
@require_GET
def view_counts(request):
    views = selectors.views_for(request.user)
    counts = selectors.view_counts(views, request.user)
    for view in views:
        view.count_label = selectors.count_label(counts[view.slug])
    return render(request, "tickets/_nav_counts.html", {"views": views})


@role_required(*CONSOLE_ROLES)
@require_GET
def ticket_page(request, pk: int):
    ticket = selectors.ticket_detail(request.user, pk)
    views = selectors.views_for(request.user)
    view = next((v for v in views if v.slug == request.GET.get("view")), None)
    previous_id = next_id = None
    if view is not None:
        previous_id, next_id = selectors.neighbours(view, request.user, ticket)
    rules = selectors.routing_rules()
    context = {
        "ticket": ticket, "views": views, "view": view,
        "previous_id": previous_id, "next_id": next_id,
        "macros": selectors.active_macros(), "rules": rules,
        "suggested": selectors.suggested_rule(ticket, rules),
        "teams": Team.objects.all(),
        "delegates": User.objects.filter(is_active=True, agent_profile__isnull=False)
        .order_by("first_name"),
        "statuses": services.AGENT_SETTABLE_STATUSES,
        "others": presence.others(ticket.pk, request.user),
    }
    return render(request, "tickets/ticket.html", context)


def _back(request, ticket_id: int):
    url = reverse("tickets:ticket", args=[ticket_id])
    view = request.POST.get("view") or request.GET.get("view")
    return redirect(f"{url}?view={view}" if view else url)


def _act(request, ticket_id: int, action, success: str):
    """Run a service; its ValidationError becomes a message, never a half-done change."""
    selectors.ticket_for(request.user, ticket_id)  # 404 for tickets outside the user's reach
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, ticket_id)
    messages.success(request, success)
    return _back(request, ticket_id)


@role_required(*CONSOLE_ROLES)
@require_POST
def assign_to_me(request, pk: int):
    return _act(request, pk, lambda: services.assign_ticket(
        ticket_id=pk, assignee=request.user, actor=request.user), "Assigned to you.")


@role_required(*CONSOLE_ROLES)
@require_POST
def reply(request, pk: int):
    public = request.POST.get("kind", "public") == "public"
    status = request.POST.get("submit_as") or None
    label = "Reply sent" if public else "Note added"

    def action():
        services.add_comment(ticket_id=pk, actor=request.user, body=request.POST.get("body", ""),
                             public=public, status=status)
        presence.leave(pk, request.user)

    return _act(request, pk, action, label + (f", submitted as {status}." if status else "."))


@role_required(*CONSOLE_ROLES)
@require_POST
def change_status(request, pk: int):
    status = request.POST.get("status", "")
    return _act(request, pk, lambda: services.set_status(
        ticket_id=pk, status=status, actor=request.user), f"Status set to {status}.")


@role_required(*CONSOLE_ROLES)
@require_GET
def macro_preview(request, pk: int):
    ticket = selectors.ticket_for(request.user, pk)
    macro = Macro.objects.filter(pk=request.GET.get("macro") or 0, active=True).first()
    changes = services.preview_macro(ticket=ticket, macro=macro, actor=request.user) \
        if macro else None
    return render(request, "tickets/_macro_preview.html",
                  {"ticket": ticket, "macro": macro, "changes": changes})


@role_required(*CONSOLE_ROLES)
@require_POST
def apply_macro(request, pk: int):
    macro = Macro.objects.filter(pk=request.POST.get("macro") or 0).first()
    if macro is None:
        messages.error(request, "Choose a macro to apply.")
        return _back(request, pk)
    return _act(request, pk, lambda: services.apply_macro(
        ticket_id=pk, macro=macro, actor=request.user), f"Applied “{macro.title}”.")


@role_required(*CONSOLE_ROLES)
@require_POST
def route(request, pk: int):
    rule = RoutingRule.objects.filter(pk=request.POST.get("rule") or 0).first()
    user = User.objects.filter(pk=request.POST.get("delegate_user") or 0).first()
    team = Team.objects.filter(pk=request.POST.get("delegate_team") or 0).first()
    return _act(request, pk, lambda: services.route_ticket(
        ticket_id=pk, actor=request.user, rule=rule, delegate_user=user, delegate_team=team,
        note=request.POST.get("note", "")), "Routed.")


@role_required(*CONSOLE_ROLES)
@require_POST
def retry_delivery(request, pk: int, message_id: int):
    ticket = selectors.ticket_for(request.user, pk)
    message = get_object_or_404(OutboxMessage, pk=message_id, ticket=ticket)
    outbox.retry_now(message)
    messages.success(request, "Queued again.")
    return _back(request, pk)


@role_required(*CONSOLE_ROLES)
@require_POST
def heartbeat(request, pk: int):
    """Says "I am here (and replying?)"; answers with who else is on the ticket."""
    selectors.ticket_for(request.user, pk)
    presence.touch(pk, request.user, replying=request.POST.get("replying") == "1")
    others = presence.others(pk, request.user)
    return render(request, "tickets/_presence.html", {"others": others}) if others \
        else HttpResponse("")
