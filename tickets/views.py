"""The agent console in the browser: parse the request, check the role, call one function."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations import outbox
from people.models import Region, Team
from people.roles import CONSOLE_ROLES, REPORT_ROLES, has_role, role_required

from . import bulk, presence, selectors, services
from .forms import TagListField
from .models import Macro, RoutingRule, Ticket

User = get_user_model()


def _pk(value) -> int:
    """A primary key from a form field; garbage ("abc", "²", "1e9") reads as "none" (0)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


@role_required(*CONSOLE_ROLES)
@require_GET
def home(request):
    # Managers and admins start from the team's picture, agents from their first view.
    if has_role(request.user, *REPORT_ROLES):
        return redirect("tickets:overview")
    views = selectors.views_for(request.user)
    return redirect("tickets:view", slug=views[0].slug) if views else render(
        request, "tickets/no_views.html")


@role_required(*REPORT_ROLES)
@require_GET
def overview(request):
    """The team overview: open work per view and region, unassigned, oldest waiting, load."""
    views = selectors.views_for(request.user)
    counts = selectors.view_counts(views, request.user)
    for view in views:
        view.count_label = selectors.count_label(counts[view.slug])
    return render(request, "tickets/overview.html",
                  {"views": views, "view": None, **selectors.team_overview()})


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
                                     cursor=request.GET.get("cursor")).at(request.GET.get("start"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        page = selectors.Page([], None, None)
    context = {
        "views": views, "view": view, "page": page,
        "filters": {key: request.GET.get(key, "") for key in ("q", "region", "status", "unassigned", "sort")},
        "regions": Region.objects.all(), "statuses": Ticket.Status.choices,
        "sorts": view.Sort.choices,
        "sort": request.GET.get("sort") or view.sort,
        "bulk": bulk.bar_choices(request.user),
    }
    template = "tickets/_ticket_rows.html" if request.htmx and request.htmx.target == "ticket-list" \
        else "tickets/view.html"
    return render(request, template, context)


@role_required(*CONSOLE_ROLES)
@require_GET
def search(request):
    """Every ticket the agent may see, not only one view's: by number, subject or requester."""
    views = selectors.views_for(request.user)
    query = request.GET.get("q", "").strip()
    page = selectors.Page([], None, None)
    if query:
        try:
            page = selectors.search_page(request.user, params={"q": query},
                                         cursor=request.GET.get("cursor")).at(
                request.GET.get("start"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(request, "tickets/search.html",
                  {"views": views, "view": None, "page": page, "query": query,
                   "sort": "-updated_at"})


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
    selectors.mark_seen(request.user, ticket)
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
        "version": services.version_of(ticket),
        "requester_tickets": selectors.requester_tickets(request.user, ticket),
        "zendesk_link": next((url for url, label in services.ticket_links(ticket)
                              if label == "Zendesk"), None),
    }
    # An action refused because the ticket changed (or belongs to someone) comes back here
    # once, with what the agent sent, so it can be applied again in one click.
    pending = request.session.pop(_pending_key(ticket.pk), None)
    if pending:
        context["pending"] = pending
        context["draft"] = pending["fields"].get("body", "")
    # A macro chosen without JavaScript (or kept in a refused reply) fills the reply form.
    context["reply_macro"] = _reply_macro(
        ticket, request.user, pending["fields"] if pending else request.GET)
    return render(request, "tickets/ticket.html", context)


def _reply_macro(ticket: Ticket, user, data) -> dict | None:
    """The reply form's macro fields: what the chosen macro fills in, for the agent to edit;
    `data` with the agent's edits (a refused reply) keeps those."""
    macro = Macro.objects.filter(pk=_pk(data.get("macro")), active=True).select_related(
        "set_group", "set_assignee").first()
    if macro is None:
        return None
    planned = services.preview_macro(ticket=ticket, macro=macro, actor=user)
    edited = "body" in data
    return {
        "macro": macro, "status": macro.set_status, "public": macro.comment_is_public,
        "text": services.render_placeholders(macro.comment, ticket=ticket, actor=user),
        "tags_add": data.get("macro_tags_add", "") if edited else " ".join(planned.tags_added),
        "tags_remove": data.get("macro_tags_remove", "") if edited
        else " ".join(planned.tags_removed),
        "group": planned.group, "assignee": planned.assignee,
        "keep_group": data.get("macro_group") == "1" if edited else True,
        "keep_assignee": data.get("macro_assignee") == "1" if edited else True,
    }


def _macro_edit(data, user) -> tuple[Macro | None, services.MacroChanges | None]:
    """The macro a reply was filled from, and the field changes the agent kept of it."""
    macro = Macro.objects.filter(pk=_pk(data.get("macro"))).select_related(
        "set_group", "set_assignee").first()
    if macro is None:
        return None, None
    tags = TagListField(required=False)
    return macro, services.MacroChanges(
        tags_added=tags.clean(data.get("macro_tags_add", "")),
        tags_removed=tags.clean(data.get("macro_tags_remove", "")),
        group=macro.set_group if data.get("macro_group") == "1" else None,
        assignee=(macro.set_assignee or (user if macro.assign_to_actor else None))
        if data.get("macro_assignee") == "1" else None)


def _back(request, ticket_id: int):
    url = reverse("tickets:ticket", args=[ticket_id])
    view = request.POST.get("view") or request.GET.get("view")
    return redirect(f"{url}?view={view}" if view else url)


def _pending_key(ticket_id: int) -> str:
    return f"tickets:pending:{ticket_id}"


def _version(request) -> str | None:
    return request.POST.get("version") or None


def _act(request, ticket_id: int, action, success: str):
    """Run a service; its ValidationError becomes a message, never a half-done change."""
    selectors.ticket_for(request.user, ticket_id)  # 404 for tickets outside the user's reach
    try:
        with outbox.watch_dispatch() as dispatch:
            action()
    except (services.StaleTicket, services.OwnedByAnother) as exc:
        request.session[_pending_key(ticket_id)] = {
            "action": request.path, "message": " ".join(exc.messages),
            "take_over": isinstance(exc, services.OwnedByAnother),
            "owner": getattr(exc, "owner", ""),
            "fields": {k: v for k, v in request.POST.items()
                       if k not in ("csrfmiddlewaretoken", "version", "take_over")},
        }
        return _back(request, ticket_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, ticket_id)
    if dispatch.failed:
        messages.warning(request, success.rstrip(".") + " — saved; delivery queued: the message "
                         "broker cannot be reached right now, and it is sent once it is back.")
    else:
        messages.success(request, success)
    return _back(request, ticket_id)


@role_required(*CONSOLE_ROLES)
@require_POST
def assign_to_me(request, pk: int):
    return _act(request, pk, lambda: services.assign_ticket(
        ticket_id=pk, assignee=request.user, actor=request.user, version=_version(request),
        take_over=request.POST.get("take_over") == "1"), "Assigned to you.")


@role_required(*CONSOLE_ROLES)
@require_POST
def reply(request, pk: int):
    public = request.POST.get("kind", "public") == "public"
    status = request.POST.get("submit_as") or None
    label = "Reply sent" if public else "Note added"

    def action():
        macro, macro_changes = _macro_edit(request.POST, request.user)
        services.add_comment(ticket_id=pk, actor=request.user, body=request.POST.get("body", ""),
                             public=public, status=status, version=_version(request),
                             macro=macro, macro_changes=macro_changes)
        presence.leave(pk, request.user)

    return _act(request, pk, action, label + (f", submitted as {status}." if status else "."))


@role_required(*CONSOLE_ROLES)
@require_POST
def change_status(request, pk: int):
    status = request.POST.get("status", "")
    return _act(request, pk, lambda: services.set_status(
        ticket_id=pk, status=status, actor=request.user, version=_version(request)),
        f"Status set to {status}.")


@role_required(*CONSOLE_ROLES)
@require_GET
def macro_preview(request, pk: int):
    """The reply form's fields filled from the chosen macro (htmx swaps them in)."""
    ticket = selectors.ticket_for(request.user, pk)
    return render(request, "tickets/_reply_fields.html", {
        "ticket": ticket, "statuses": services.AGENT_SETTABLE_STATUSES,
        "reply_macro": _reply_macro(ticket, request.user, request.GET)})


@role_required(*CONSOLE_ROLES)
@require_POST
def apply_macro(request, pk: int):
    macro = Macro.objects.filter(pk=_pk(request.POST.get("macro"))).first()
    if macro is None:
        messages.error(request, "Choose a macro to apply.")
        return _back(request, pk)
    return _act(request, pk, lambda: services.apply_macro(
        ticket_id=pk, macro=macro, actor=request.user, version=_version(request)),
        f"Applied “{macro.title}”.")


@role_required(*CONSOLE_ROLES)
@require_POST
def route(request, pk: int):
    rule = RoutingRule.objects.filter(pk=_pk(request.POST.get("rule"))).first()
    user = User.objects.filter(pk=_pk(request.POST.get("delegate_user"))).first()
    team = Team.objects.filter(pk=_pk(request.POST.get("delegate_team"))).first()
    return _act(request, pk, lambda: services.route_ticket(
        ticket_id=pk, actor=request.user, rule=rule, delegate_user=user, delegate_team=team,
        note=request.POST.get("note", ""), version=_version(request)), "Routed.")


@role_required(*CONSOLE_ROLES)
@require_POST
def retry_delivery(request, pk: int, message_id: int):
    ticket = selectors.ticket_for(request.user, pk)
    if outbox.retry_now(message_id=message_id, subject=ticket.subject_key):
        messages.success(request, "Queued again.")
    else:
        messages.error(request, "Only a failed or refused delivery of this ticket can be "
                                "retried, and it is queued already or was sent.")
    return _back(request, pk)


@role_required(*CONSOLE_ROLES)
@require_POST
def heartbeat(request, pk: int):
    """Says "I am here (and replying?)"; answers with who else is on the ticket."""
    ticket = selectors.ticket_for(request.user, pk)
    presence.touch(pk, request.user, replying=request.POST.get("replying") == "1")
    seen = request.POST.get("version")
    # The heartbeat also keeps the page true: deliveries move from queued to sent, failed or
    # conflict without a reload, and a change by a colleague or a sync is announced.
    return render(request, "tickets/_presence.html", {
        "ticket": ticket, "others": presence.others(pk, request.user),
        "deliveries": selectors.deliveries(ticket.subject_key),
        "changed": bool(seen) and seen != services.version_of(ticket),
        "poll": True,  # the deliveries go out of band; the first render has them in place
    })
