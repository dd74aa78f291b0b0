"""Bulk actions from the ticket list: parse the selection, check the role, run, report."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from people.roles import CONSOLE_ROLES, role_required

from . import bulk, selectors
from .models import BulkAction, Macro
from .views import _pk

User = get_user_model()


def _list_url(request) -> str:
    try:
        return reverse("tickets:view", args=[request.POST.get("view", "")])
    except NoReverseMatch:
        return reverse("tickets:home")


def _change(request) -> bulk.Change:
    action = request.POST.get("action", "")
    if action == BulkAction.Action.STATUS:
        return bulk.status_change(status=request.POST.get("status", ""), actor=request.user)
    if action == BulkAction.Action.ASSIGN:
        wanted = request.POST.get("assignee", "me")
        assignee = request.user if wanted == "me" else User.objects.filter(
            pk=_pk(wanted), is_active=True, agent_profile__isnull=False).first()
        return bulk.assign_change(assignee=assignee, actor=request.user,
                                  take_over=request.POST.get("take_over") == "1")
    if action == BulkAction.Action.MACRO:
        macro = Macro.objects.filter(pk=_pk(request.POST.get("macro"))).first()
        return bulk.macro_change(macro=macro, actor=request.user)
    raise ValidationError({"action": "Choose what to do: assign, set a status or apply a "
                                     "macro."})


@role_required(*CONSOLE_ROLES)
@require_POST
def bulk_apply(request):
    try:
        selection = bulk.parse_selection(request.POST.getlist("ticket"))
        change = _change(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_list_url(request))
    action = bulk.run_bulk_action(actor=request.user, change=change, selection=selection)
    done = bulk.report(action).counts
    messages.success(request, f"{action.summary}: {done['changed']} changed, "
                              f"{done['unchanged']} already so, {done['skipped']} skipped.")
    url = reverse("tickets:bulk-results", args=[action.pk])
    view = request.POST.get("view", "")
    return redirect(f"{url}?{urlencode({'view': view})}" if view else url)


@role_required(*CONSOLE_ROLES)
@never_cache
@require_GET
def bulk_results(request, pk: int):
    """Each ticket's outcome and delivery; the htmx partial polls until nothing is queued."""
    action = bulk.bulk_actions_for(request.user).filter(pk=pk).first()
    if action is None:
        raise Http404("No such bulk action, or it is not yours.")
    views = selectors.views_for(request.user)
    context = {"report": bulk.report(action), "views": views,
               "view": next((v for v in views if v.slug == request.GET.get("view")), None)}
    if request.htmx:
        return render(request, "tickets/_bulk_results.html", context)
    return render(request, "tickets/bulk.html", context)
