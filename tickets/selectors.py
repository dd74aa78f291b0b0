"""Reads for the console and the API; each decides its joins once, here."""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from integrations import outbox
from integrations.models import OutboxMessage
from people import audit
from people.models import AgentProfile, AuditEvent
from people.pagination import COUNT_CAP, Page, after_key, keyset_page
from people.roles import ADMIN, AGENT, LD_AGENT, MANAGER, roles_of

from .filters import TicketListFilter
from .models import Comment, Macro, RoutingRule, Ticket, TicketSeen, View

VIEW_COUNT_TTL_SECONDS = 15
VIEW_COUNT_CAP = COUNT_CAP
PAGE_SIZE_MAX = 100


def profile_of(user) -> AgentProfile | None:
    """The agent profile with preferred regions, loaded once per request and kept in the
    shared cache beside the user's views (forgotten with them: see forget_views)."""
    if not hasattr(user, "_edudesk_profile"):
        key = f"tickets:profile:{cache.get_or_set(VIEWS_GENERATION, 1, None)}:{user.pk}"
        found = cache.get(key)
        if found is None:
            profile = (AgentProfile.objects.filter(user=user).select_related("team")
                       .prefetch_related("preferred_regions").first())
            found = (profile,)  # a tuple, so "no profile" is remembered too
            cache.set(key, found, VIEWS_TTL_SECONDS)
        user._edudesk_profile = found[0]
    return user._edudesk_profile


def sees_every_view(user) -> bool:
    """Managers and admins see every team's views."""
    return bool(roles_of(user) & {MANAGER, ADMIN})


def sees_all_tickets(user) -> bool:
    """Everyone but an L&D-only agent works on every ticket."""
    roles = roles_of(user)
    return not (LD_AGENT in roles and not roles & {AGENT, MANAGER, ADMIN})


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Who works on which tickets.

    Most roles see every ticket. An L&D-only agent sees the tickets of the views their
    team works (Free, and Triage which the handbook shares with L&D), their team's
    group, and whatever is assigned to them (routed to them, for instance).
    """
    tickets = Ticket.objects.all()
    if sees_all_tickets(user):
        return tickets
    profile = profile_of(user)
    visible = Q(assignee=user)
    if profile is not None and profile.team_id is not None:
        visible |= Q(group_id=profile.team_id)
    for view in views_for(user):
        if view.assignee == View.Assignee.ME:
            continue  # a personal view adds nothing to "mine"
        condition = view_condition(view, user)
        if not condition:
            return tickets  # a view without conditions covers every ticket
        visible |= condition
    return tickets.filter(visible)


def views_for(user) -> list[View]:
    """The views in the user's navigation: their team's, shared ones and unowned ones.

    Loaded once per request and kept on the user object, like the profile.
    """
    if not hasattr(user, "_edudesk_views"):
        # Kept in the shared cache too: every console page needs them, and they change only
        # when an admin edits views or a person's team or roles (which bump the generation).
        key = f"tickets:views:{cache.get_or_set(VIEWS_GENERATION, 1, None)}:{user.pk}"
        views = cache.get(key)
        if views is None:
            views = _load_views(user)
            cache.set(key, views, VIEWS_TTL_SECONDS)
        user._edudesk_views = views
    return user._edudesk_views


VIEWS_GENERATION = "tickets:views:generation"
VIEWS_TTL_SECONDS = 300


def forget_views(**_kwargs) -> None:
    """Every user's cached views are stale (a view, a team or a role changed)."""
    try:
        cache.incr(VIEWS_GENERATION)
    except ValueError:
        cache.set(VIEWS_GENERATION, 2, None)


def _load_views(user) -> list[View]:
    views = View.objects.all()
    if not sees_every_view(user):
        profile = profile_of(user)
        team_id = profile.team_id if profile else None
        visible = Q(team__isnull=True)
        if team_id is not None:  # "= NULL" on the join would match views shared with no one
            visible |= Q(team_id=team_id) | Q(shared_with__id=team_id)
        views = views.filter(visible).distinct()
    return list(views.prefetch_related("regions"))


def view_by_slug(user, slug: str) -> View:
    for view in views_for(user):
        if view.slug == slug:
            return view
    raise Http404("No such view, or it is not one of yours.")


def view_condition(view: View, user) -> Q:
    """A view's conditions as one filter (regions must have been prefetched)."""
    condition = Q()
    if view.form_id:
        condition &= Q(form_id=view.form_id)
    if view.group_id:
        condition &= Q(group_id=view.group_id)
    if view.statuses:
        condition &= Q(status__in=view.statuses)
    for tag in view.tags_all:
        condition &= Q(tags__contains=f" {tag} ")
    for tag in view.tags_none:
        condition &= ~Q(tags__contains=f" {tag} ")
    # Owned means assigned to a login here or, upstream, to someone without one.
    if view.assignee == View.Assignee.UNASSIGNED:
        condition &= Q(assignee__isnull=True, assignee_name="")
    elif view.assignee == View.Assignee.ME:
        condition &= mine(user)
    elif view.assignee == View.Assignee.ASSIGNED:
        condition &= ~Q(assignee__isnull=True, assignee_name="")
    region_ids = [r.pk for r in view.regions.all()]
    if region_ids:
        condition &= Q(region_id__in=region_ids)
    return condition


def mine(user) -> Q:
    """The handbook's "My Assigned Tickets": assigned to me, or that I already responded to."""
    responded = Comment.objects.filter(author=user, is_public=True).values("ticket_id")
    return Q(assignee=user) | Q(pk__in=responded)


def tickets_in_view(view: View, user) -> QuerySet[Ticket]:
    return tickets_visible_to(user).filter(view_condition(view, user))


def view_counts(views: list[View], user) -> dict[str, int]:
    """Ticket count per view, cached briefly: the navigation polls it every few seconds.

    Counting stops at VIEW_COUNT_CAP + 1 rows, so a queue of a million tickets costs no
    more than one of ten thousand; the page shows "10,000+".
    """
    generation = cache_generation()
    scope = "all" if sees_all_tickets(user) else f"u{user.pk}"
    keys = {
        view.slug: f"viewcount:{view.pk}:{user.pk if view.assignee == View.Assignee.ME else scope}"
                   f":{generation}"
        for view in views
    }
    cached = cache.get_many(keys.values())
    counts, missing = {}, {}
    for view in views:
        count = cached.get(keys[view.slug])
        if count is None:
            count = tickets_in_view(view, user)[: VIEW_COUNT_CAP + 1].count()
            missing[keys[view.slug]] = count
        counts[view.slug] = count
    if missing:
        cache.set_many(missing, VIEW_COUNT_TTL_SECONDS)
    return counts


def count_label(count: int) -> str:
    return f"{VIEW_COUNT_CAP:,}+" if count > VIEW_COUNT_CAP else f"{count:,}"


def cache_generation() -> int:
    """Bumped by every ticket change so that counts are never staler than the change."""
    return cache.get_or_set("tickets:generation", 1, None)


def ticket_page(view: View, user, *, params=None, cursor: str | None = None,
                size: int | None = None) -> Page:
    """One page of a view, filtered by `params` (q, region, status, unassigned, sort).

    A single query, whatever the page or the data size.
    """
    size = min(max(1, size or settings.CONSOLE_PAGE_SIZE), PAGE_SIZE_MAX)
    profile = profile_of(user)
    filterset = TicketListFilter(
        params or {}, queryset=tickets_in_view(view, user),
        preferred_region_ids=[r.pk for r in profile.preferred_regions.all()] if profile else [])
    if not filterset.is_valid():
        raise ValidationError({k: list(v) for k, v in filterset.errors.items()})
    sort = filterset.form.cleaned_data.get("sort") or view.sort
    tickets = filterset.qs.select_related("assignee", "group", "form", "region")
    page = _marked(keyset_page(_with_seen(tickets, user), sort, cursor, size))
    page.total = _capped_count(filterset.qs, f"view:{view.pk}", params, user)
    return page


def _with_seen(tickets: QuerySet[Ticket], user) -> QuerySet[Ticket]:
    """Each row learns when this agent last opened it (one index probe per row shown)."""
    return tickets.annotate(seen_at=Subquery(
        TicketSeen.objects.filter(user=user, ticket=OuterRef("pk")).values("seen_at")[:1]))


def _marked(page: Page) -> Page:
    """A ticket the agent opened before the customer last wrote is marked; one never opened is
    not (everything in it is new anyway)."""
    for ticket in page.items:
        ticket.customer_wrote = bool(ticket.customer_updated_at and ticket.seen_at
                                     and ticket.customer_updated_at > ticket.seen_at)
    return page


def _capped_count(tickets: QuerySet[Ticket], scope: str, params, user) -> int:
    """How many rows a list holds, for "1-25 of 32": counted up to VIEW_COUNT_CAP + 1 and kept
    as briefly as the navigation's counts, so paging through a list does not recount it."""
    query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()) if k not in (
        "cursor", "start"))
    digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()
    key = f"listcount:{scope}:{user.pk}:{cache_generation()}:{digest}"
    count = cache.get(key)
    if count is None:
        count = tickets[: VIEW_COUNT_CAP + 1].count()
        cache.set(key, count, VIEW_COUNT_TTL_SECONDS)
    return count


def mark_seen(user, ticket: Ticket) -> None:
    """The agent opened the ticket now: one upsert.

    A page view must not wait for a disk flush: on PostgreSQL this one transaction commits
    without waiting for its WAL (a crash loses at most a "seen" mark, never a change).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        TicketSeen.objects.bulk_create(
            [TicketSeen(user=user, ticket=ticket, seen_at=timezone.now())],
            update_conflicts=True, unique_fields=["user", "ticket"], update_fields=["seen_at"])


def search_page(user, *, params, cursor: str | None = None) -> Page:
    """Search every ticket the user may see, whatever the view (newest first), one query."""
    profile = profile_of(user)
    filterset = TicketListFilter(
        params, queryset=tickets_visible_to(user),
        preferred_region_ids=[r.pk for r in profile.preferred_regions.all()] if profile else [])
    if not filterset.is_valid():
        raise ValidationError({k: list(v) for k, v in filterset.errors.items()})
    sort = filterset.form.cleaned_data.get("sort") or "-updated_at"
    tickets = filterset.qs.select_related("assignee", "group", "form", "region")
    page = _marked(keyset_page(_with_seen(tickets, user), sort, cursor,
                               settings.CONSOLE_PAGE_SIZE))
    page.total = _capped_count(filterset.qs, "search", params, user)
    return page


def neighbours(view: View, user, ticket: Ticket) -> tuple[int | None, int | None]:
    """Previous and next ticket ids in the view's order, for the n/p shortcuts."""
    field = view.sort.lstrip("-")
    value = getattr(ticket, field)
    tickets = tickets_in_view(view, user)
    later = tickets.filter(after_key(field, "gt", value, ticket.pk))
    earlier = tickets.filter(after_key(field, "lt", value, ticket.pk))
    if view.sort.startswith("-"):
        before, after = later.order_by(field, "id"), earlier.order_by(f"-{field}", "-id")
    else:
        before, after = earlier.order_by(f"-{field}", "-id"), later.order_by(field, "id")
    previous = before.values_list("pk", flat=True).first()
    following = after.values_list("pk", flat=True).first()
    return previous, following


def ticket_for(user, ticket_id: int) -> Ticket:
    ticket = (
        tickets_visible_to(user)
        .select_related("assignee", "group", "form", "region")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket, or it is not one of yours.")
    return ticket


UNDELIVERED = (OutboxMessage.State.FAILED, OutboxMessage.State.CONFLICT)
REFUSABLE_FIELDS = ("Status", "Assignee", "Group", "Tags", "Priority")


def ticket_detail(user, ticket_id: int) -> Ticket:
    """A ticket with its conversation, history and deliveries, in four queries."""
    return _with_activity(ticket_for(user, ticket_id))


def ticket_detail_after_action(ticket_id: int) -> Ticket:
    """The ticket an allowed action just changed, whether or not it is still in reach."""
    ticket = Ticket.objects.select_related("assignee", "group", "form", "region").get(
        pk=ticket_id)
    return _with_activity(ticket)


def _with_activity(ticket: Ticket) -> Ticket:
    ticket.conversation = list(
        Comment.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "id")
    )
    ticket.history = list(audit.history(ticket.subject_key))
    ticket.deliveries = deliveries(ticket.subject_key)
    # A reply Zendesk refused is marked on the comment itself: the agent must not believe
    # the customer has it. The newest delivery of each comment decides.
    latest: dict[int, OutboxMessage] = {}
    for row in ticket.deliveries:
        comment_pk = row.payload.get("comment_pk") if isinstance(row.payload, dict) else None
        if isinstance(comment_pk, int):
            latest.setdefault(comment_pk, row)
    for comment in ticket.conversation:
        row = latest.get(comment.pk)
        comment.undelivered = row if row is not None and row.state in UNDELIVERED else None
    ticket.refused = refused_fields(ticket.deliveries)
    return ticket


def refused_fields(rows: list[OutboxMessage]) -> dict[str, dict]:
    """Fields ("Status", "Assignee", ...) whose change the upstream refused, with the value
    it holds: the page shows that, not our local copy. A later delivery that went through
    supersedes the refusals before it."""
    refused: dict[str, dict] = {}
    delivered_since: set[str] = set()
    for row in rows:  # newest first
        if row.state == OutboxMessage.State.SENT:
            delivered_since.add(row.system)
        if row.state not in UNDELIVERED or row.system in delivered_since:
            continue
        response = row.response if isinstance(row.response, dict) else {}
        record = response.get("refused") or response.get("conflict") or {}
        for diff in record.get("differences") or []:
            if isinstance(diff, dict) and diff.get("field") in REFUSABLE_FIELDS:
                refused.setdefault(diff["field"], {
                    "theirs": diff.get("theirs"), "ours": diff.get("ours"),
                    "system": row.system, "error": row.last_error})
    return refused


def deliveries(subject: str, limit: int = 20) -> list[OutboxMessage]:
    """The subject's latest outbox rows, newest first; a queued row behind a stuck one says so."""
    rows = list(OutboxMessage.objects.filter(subject=subject).order_by("-created_at", "-id")[:limit])
    stuck_lanes = {row.system for row in rows if outbox.is_stuck(row)}
    for row in rows:
        row.is_stuck = outbox.is_stuck(row)
        row.is_behind_stuck = (not row.is_stuck and row.state == OutboxMessage.State.QUEUED
                               and row.system in stuck_lanes)
    return rows


OVERVIEW_TTL_SECONDS = 30


def team_overview() -> dict:
    """Open tickets by region and by owner, the unassigned count and the oldest waiting.

    Three aggregate queries over the unsolved tickets, kept for half a minute: a manager's
    page must not re-count a million rows on every visit.
    """
    key = f"tickets:overview:{cache_generation()}"
    found = cache.get(key)
    if found is not None:
        return found
    unsolved = Ticket.objects.filter(status__in=Ticket.UNSOLVED)
    by_region = list(unsolved.values("region__code").annotate(open=Count("id"))
                     .order_by("region__code"))
    by_owner = list(unsolved.exclude(assignee__isnull=True, assignee_name="")
                    .values("assignee__first_name", "assignee__last_name", "assignee__username",
                            "assignee_name")
                    .annotate(open=Count("id")).order_by("-open")[:20])
    for row in by_owner:
        full = " ".join(filter(None, (row["assignee__first_name"], row["assignee__last_name"])))
        row["name"] = full or row["assignee__username"] or row["assignee_name"]
    waiting = unsolved.filter(assignee__isnull=True, assignee_name="")
    found = {
        "by_region": by_region, "by_owner": by_owner,
        "unassigned": waiting.count(),
        "oldest_waiting": list(waiting.order_by("created_at", "id")
                               .only("id", "zendesk_id", "subject", "created_at")[:5]),
    }
    cache.set(key, found, OVERVIEW_TTL_SECONDS)
    return found


def tickets_of_requester(user, email: str, limit: int = 5) -> list[Ticket]:
    """A requester's tickets within the user's reach, newest first (one query)."""
    # Exact match on the indexed column; Zendesk keeps its users' emails lower-case.
    return list(tickets_visible_to(user).filter(requester_email=email.strip().lower())
                .order_by("-created_at", "-id")
                .only("id", "zendesk_id", "subject", "status", "created_at")[:limit])


def requester_tickets(user, ticket: Ticket, limit: int = 5) -> list[Ticket]:
    """The requester's other tickets within the user's reach, newest first (one query)."""
    if not ticket.requester_email:
        return []
    return list(tickets_visible_to(user).filter(requester_email=ticket.requester_email)
                .exclude(pk=ticket.pk).order_by("-created_at", "-id")
                .only("id", "zendesk_id", "subject", "status", "created_at")[:limit])


def active_macros() -> QuerySet[Macro]:
    return Macro.objects.filter(active=True).select_related("set_group", "set_assignee")


def routing_rules() -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(active=True).select_related("delegate_user", "delegate_team")
    )


def suggested_rule(ticket: Ticket, rules: list[RoutingRule]) -> RoutingRule | None:
    return next((rule for rule in rules if rule.matches(ticket)), None)



# ---- reads for reports ------------------------------------------------------------------------
TICKET_FIGURE_FIELDS = ("id", "created_at", "updated_at", "form_id", "tags", "status",
                        "assignee_id")
SOLVED_STATUSES = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


def ticket_change_mark():
    """The newest change time and the highest id of tickets: when neither moved, no figure did."""
    found = Ticket.objects.aggregate(changed=Max("updated_at"), last_id=Max("id"))
    return found["changed"], found["last_id"]


def tickets_changed(*, since, after_id: int):
    """Tickets changed after `since` or added after `after_id` (all when `since` is None), as
    tuples of TICKET_FIGURE_FIELDS, streamed."""
    tickets = Ticket.objects.all() if since is None else Ticket.objects.filter(
        Q(updated_at__gt=since) | Q(id__gt=after_id))
    return tickets.order_by().values_list(*TICKET_FIGURE_FIELDS).iterator(chunk_size=5000)


def first_public_replies(ticket_ids: list[int]) -> dict[int, object]:
    """Ticket id -> when an agent (a comment with an EduDesk author) first replied in public."""
    return dict(Comment.objects.filter(ticket_id__in=ticket_ids, is_public=True,
                                       author__isnull=False)
                .values("ticket_id").annotate(first=Min("created_at")).order_by()
                .values_list("ticket_id", "first"))


def solves_in_trail(ticket_ids: list[int]) -> dict[int, tuple[object, int | None]]:
    """Ticket id -> (when, by whom) it was last set to solved in EduDesk (the audit trail)."""
    subjects = [f"ticket:{pk}" for pk in ticket_ids]
    rows = (AuditEvent.objects.filter(subject__in=subjects, changes__status__1=Ticket.Status.SOLVED)
            .order_by("subject", "created_at", "id").values_list("subject", "created_at", "actor_id"))
    return {int(subject.split(":")[1]): (at, actor) for subject, at, actor in rows}


def views_with_forms() -> list[View]:
    """Views that select tickets by their form (and tags), most specific first: the first
    that takes a ticket's form and tags is the view it belongs to, whatever its status."""
    views = View.objects.filter(form__isnull=False).order_by("position", "name")
    return sorted(views, key=lambda v: -(len(v.tags_all) + len(v.tags_none)))


def view_of_ticket(views: list[View], form_id: int | None, tags: str) -> View | None:
    held = set(tags.split())
    return next((v for v in views if v.form_id == form_id and set(v.tags_all) <= held
                 and not set(v.tags_none) & held), None)


def routed_per_delegate(*, start, end, zone) -> list[dict]:
    """Route actions in [start, end) per week (in `zone`) and whom they went to (a person or
    team, or the channel consulted): rows {"week", "routed_to", "consulted", "count"}."""
    return list(AuditEvent.objects.filter(verb="route", created_at__gte=start, created_at__lt=end)
                .annotate(week=TruncWeek("created_at", tzinfo=zone),
                          routed_to=KeyTextTransform("routed_to", "changes"),
                          consulted=KeyTextTransform("consulted", "changes"))
                .values("week", "routed_to", "consulted").annotate(count=Count("id"))
                .order_by("week"))


def names_of(user_ids) -> dict[int, str]:
    return {u.pk: u.get_full_name() or u.get_username()
            for u in get_user_model().objects.filter(pk__in=set(user_ids))}
