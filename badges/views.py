"""Badges' pages and the certification webhook: parse the request, check the role, call one
service or selector, render."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import outbox
from people.roles import ADMIN, AGENT, LD_AGENT, MANAGER, has_role, role_required

from . import bulk as bulk_csv
from . import selectors, services, webhooks
from .forms import BulkUploadForm, ChangeEmailForm, IssueForm, RevokeForm
from .models import Badge, BulkIssue

# DESIGN.md, "Who uses it": Education Services issues and fixes badges; L&D agents read them.
BADGE_ROLES = (AGENT, LD_AGENT, MANAGER, ADMIN)
BADGE_WRITE_ROLES = (AGENT, MANAGER, ADMIN)
PREVIEW_ROWS = 50


def badges_context(request) -> dict:
    """Context processor: whether the topbar shows Badges, and whether its actions show."""
    user = getattr(request, "user", None)
    return {"can_see_badges": has_role(user, *BADGE_ROLES),
            "can_issue_badges": has_role(user, *BADGE_WRITE_ROLES)}


@csrf_exempt  # the Standard Webhooks signature is this endpoint's authentication
@require_POST
def certification_webhook(request) -> HttpResponse:
    return webhooks.receive(request)


def _pk(value) -> int:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


def _our_path(request, target: str) -> str:
    """`target` if it is a path of ours, else "" (never another site, never a view name)."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _back(request, default: str):
    """Where the form came from (the ticket or thread beside which it sat), if it is ours."""
    # A path, sent as a URL: redirect() would try "0" as a view name.
    target = _our_path(request, request.POST.get("next") or request.GET.get("next") or "")
    return HttpResponseRedirect(target or default)


def _act(request, action, success, default: str):
    """Run a service; its ValidationError becomes a message, never a half-done change."""
    try:
        with outbox.watch_dispatch() as dispatch:
            result = action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, default)
    text = success(result) if callable(success) else success
    if dispatch.failed:
        messages.warning(request, text.rstrip(".") + " — saved; the message broker cannot be "
                         "reached right now, and it goes to Credly once it is back.")
    else:
        messages.success(request, text)
    return _back(request, default)


# ---- the dashboard and the earner ------------------------------------------------------------
@role_required(*BADGE_ROLES)
@require_GET
def dashboard(request):
    grace = timedelta(minutes=settings.BADGES_RECONCILE_GRACE_MINUTES)
    try:
        page = selectors.submission_page(cursor=request.GET.get("cursor"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        page = selectors.Page([], None, None)
    return render(request, "badges/dashboard.html", {
        "page": page, "failures": selectors.delivery_failures(),
        "queue": selectors.reconciliation_page(received_before=timezone.now() - grace),
        "grace_minutes": settings.BADGES_RECONCILE_GRACE_MINUTES,
        "bulk_issues": selectors.recent_bulk_issues()})


@role_required(*BADGE_ROLES)
@require_GET
def earner(request):
    email = selectors.normal_email(request.GET.get("email", ""))[:254]
    record = selectors.earner_record(email) if email else None
    return render(request, "badges/earner.html", {
        "email": email, "record": record, "email_form": ChangeEmailForm(),
        "revoke_form": RevokeForm(), "here": request.get_full_path()})


def earner_panel_context(request, email: str, name: str, next_url: str) -> dict:
    """What the requester panel shows: the earner's results and badges, and the actions."""
    email = selectors.normal_email(email)
    record = selectors.earner_record(email) if email else None
    if record is not None:
        # A result is covered by its own badge, or by a live one of its template the earner
        # holds already (issued by hand, say): only the others get a one-click issue.
        with_badge = {b.submission_id for b in record.badges}
        held = {b.template_id for b in record.badges
                if b.is_live and b.recipient_email == record.email}
        for submission in record.submissions:
            submission.has_badge = (submission.pk in with_badge
                                    or submission.certification.badge_template_id in held)
    first, _, last = (name or "").strip().partition(" ")
    return {"email": email, "record": record, "first_name": first, "last_name": last.strip(),
            "can_issue_badges": has_role(request.user, *BADGE_WRITE_ROLES), "next": next_url}


@role_required(*BADGE_ROLES)
@require_GET
def earner_panel(request):
    """The panel beside a ticket or thread, fetched by the page once it has arrived."""
    return render(request, "badges/_earner_panel.html", earner_panel_context(
        request, request.GET.get("email", "")[:254], request.GET.get("name", "")[:200],
        _our_path(request, request.GET.get("next", ""))))


# ---- one badge -------------------------------------------------------------------------------
def _detail_or_404(pk: int) -> selectors.BadgeDetail:
    detail = selectors.badge_detail(pk)
    if detail is None:
        raise Http404("No such badge.")
    return detail


@role_required(*BADGE_ROLES)
@require_GET
def badge_page(request, pk: int):
    detail = _detail_or_404(pk)
    return render(request, "badges/badge.html", {
        "detail": detail, "badge": detail.badge, "email_form": ChangeEmailForm(),
        "revoke_form": RevokeForm(), "here": request.path})


@role_required(*BADGE_ROLES)
@never_cache
@require_GET
def badge_steps(request, pk: int):
    """The steps block alone, polled while one is still on its way to Credly."""
    return render(request, "badges/_steps.html", {"detail": _detail_or_404(pk)})


@role_required(*BADGE_WRITE_ROLES)
@require_POST
def change_email(request, pk: int):
    form = ChangeEmailForm(request.POST)
    default = reverse("badges:badge", args=[pk])
    if not form.is_valid():
        messages.error(request, "Enter the new email address.")
        return _back(request, default)

    def done(new: Badge) -> str:
        steps = [f"{m.action} badge:{m.payload.get('badge_id')}"
                 for m in selectors.lane_steps(new.pk) if m.state == "queued"]
        how = " then ".join(steps) if steps else "readdressed before it was sent"
        return (f"Email change to {new.recipient_email} queued for Credly ({how}); "
                f"badge:{new.pk} carries it.")

    return _act(request, lambda: services.change_badge_email(
        badge_id=pk, new_email=form.cleaned_data["new_email"], actor=request.user), done, default)


@role_required(*BADGE_WRITE_ROLES)
@require_POST
def revoke(request, pk: int):
    return _act(request, lambda: services.revoke_badge(
        badge_id=pk, reason=request.POST.get("reason", ""), actor=request.user),
        f"Revoke of badge:{pk} queued for Credly.", reverse("badges:badge", args=[pk]))


@role_required(*BADGE_WRITE_ROLES)
@require_POST
def retry(request, pk: int, message_id: int):
    if services.retry_delivery(badge_id=pk, message_id=message_id, actor=request.user):
        messages.success(request, "Queued again for Credly.")
    else:
        messages.error(request, "Only a failed delivery of this badge can be retried, and it "
                                "is queued already or was sent.")
    return _back(request, reverse("badges:badge", args=[pk]))


@role_required(*BADGE_WRITE_ROLES)
@require_POST
def issue_for_submission(request, pk: int):
    return _act(request, lambda: services.issue_for_submission(
        submission_id=pk, actor=request.user),
        lambda b: f"Issue of “{b.template.name}” to {b.recipient_email} queued (badge:{b.pk}).",
        reverse("badges:dashboard"))


@role_required(*BADGE_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def issue(request):
    if request.method == "POST":
        form = IssueForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with outbox.watch_dispatch() as dispatch:
                    badge = services.issue_badge(
                        template=data["template"], recipient_email=data["email"],
                        recipient_first_name=data["first_name"],
                        recipient_last_name=data["last_name"], actor=request.user)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                text = f"Issue of “{badge.template.name}” to {badge.recipient_email} queued"
                if dispatch.failed:
                    messages.warning(request, f"{text} — saved; the message broker cannot be "
                                              "reached right now, and it goes to Credly once "
                                              "it is back.")
                else:
                    messages.success(request, f"{text} for Credly.")
                return _back(request, reverse("badges:badge", args=[badge.pk]))
    else:
        form = IssueForm(initial={k: request.GET.get(k, "")
                                  for k in ("email", "first_name", "last_name", "template")})
    return render(request, "badges/issue.html", {"form": form,
                                                 "next": request.GET.get("next", "")})


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal shown on the field it concerns."""
    fields = {"recipient_email": "email", "template": "template"}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(fields.get(key), errors)
    else:
        form.add_error(None, exc.messages)


# ---- bulk issue ------------------------------------------------------------------------------
@role_required(*BADGE_WRITE_ROLES)
@require_http_methods(["GET", "POST"])
def bulk_upload(request):
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    validation = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            validation = bulk_csv.validate(bulk_csv.decode(data))
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            if validation.is_valid:
                bulk = services.create_bulk_issue(
                    rows=validation.rows, filename=upload.name,
                    file_sha256=hashlib.sha256(data).hexdigest(), actor=request.user)
                return redirect("badges:bulk", pk=bulk.pk)
    return render(request, "badges/bulk_upload.html", {
        "form": form, "validation": validation, "columns": bulk_csv.REQUIRED,
        "bulk_issues": selectors.recent_bulk_issues(10)})


@role_required(*BADGE_WRITE_ROLES)
@require_GET
def bulk_page(request, pk: int):
    bulk = selectors.bulk_for(pk, with_rows=True)
    if bulk is None:
        raise Http404("No such upload.")
    context = {"bulk": bulk, "progress": selectors.bulk_progress(bulk),
               "history": selectors.history_of(bulk.subject_key)}
    if bulk.state == BulkIssue.State.PREVIEW:
        held = bulk_csv.held_pairs({row[1] for row in bulk.rows})
        templates = {t.pk: t for t in selectors.active_templates()}
        context["preview"] = [
            {"line": row[0], "template": templates.get(row[1]), "email": row[2],
             "name": f"{row[3]} {row[4]}", "issued_at": row[5], "expires_at": row[6],
             "held": (row[1], row[2]) in held} for row in bulk.rows[:PREVIEW_ROWS]]
        context["already_held"] = sum((row[1], row[2]) in held for row in bulk.rows)
        context["to_issue"] = bulk.total - context["already_held"]
    return render(request, "badges/bulk.html", context)


@role_required(*BADGE_WRITE_ROLES)
@require_POST
def bulk_start(request, pk: int):
    return _act(request, lambda: services.start_bulk_issue(bulk_id=pk, actor=request.user),
                "Issuing: the progress shows below.", reverse("badges:bulk", args=[pk]))


@role_required(*BADGE_WRITE_ROLES)
@never_cache
@require_GET
def bulk_progress(request, pk: int):
    bulk = selectors.bulk_for(pk)
    if bulk is None:
        return JsonResponse({"error": "No such upload."}, status=404)
    return JsonResponse(selectors.bulk_progress(bulk))


def earner_url(email: str, **extra: str) -> str:
    return f"{reverse('badges:earner')}?{urlencode({'email': email, **extra})}"
