"""The tickets report: backlog per view over time, solved per week per view and agent, time
to first public reply, tickets routed per delegate.

What the desk knows now plus the audit trail, approximated where history is missing:
- a ticket belongs to the view its form and tags select (Paid: the form and the "paid"
  tag; Triage: the form; Free), whatever its status and assignee now;
- it was solved when EduDesk's trail last set it to solved, by that person; a ticket solved
  in Zendesk (no line in the trail) when it was last updated, by its assignee;
- the backlog at the end of a week is what was created before and not solved by then, so a
  ticket reopened after a solve counts as solved from its last solve on;
- first public reply: the first public comment by someone with an EduDesk login, in
  calendar time.
Per-ticket figures are worked out when a ticket changes (TicketFigure, brought up to date
before each report); the report is GROUP BY queries over them and over the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tickets import selectors as tickets

from .models import RollupMark, TicketFigure
from .threads import LATE_COMMIT, WeekFilters, label, percentile

MARK = "tickets:{zone}"
OTHER = "No view"


def _monday(instant: datetime, zone: ZoneInfo) -> date:
    local = instant.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _store(batch: list[tuple], zone: ZoneInfo, views) -> None:
    if not batch:
        return
    ids = [row[0] for row in batch]
    replies = tickets.first_public_replies(ids)
    solves = tickets.solves_in_trail(ids)
    figures = []
    for pk, created, updated, form, tags, status, assignee in batch:
        view = tickets.view_of_ticket(views, form, tags)
        solved_at = solved_by = None
        if status in tickets.SOLVED_STATUSES:
            solved_at, solved_by = solves.get(pk, (updated, assignee))
        reply = replies.get(pk)
        figures.append(TicketFigure(
            ticket_id=pk, time_zone=str(zone), view_id=view.pk if view else None, created_at=created,
            week=_monday(created, zone), solved_at=solved_at, solved_by=solved_by,
            solved_week=_monday(solved_at, zone) if solved_at else None,
            first_reply_minutes=max(0, int((reply - created).total_seconds() // 60))
            if reply else None))
    TicketFigure.objects.bulk_create(
        figures, update_conflicts=True, unique_fields=["ticket_id"],
        update_fields=["time_zone", "view_id", "created_at", "week", "solved_at", "solved_week",
                       "solved_by", "first_reply_minutes"])


def refresh(zone: ZoneInfo) -> None:
    """Tickets changed since the last refresh worked out again (all of them the first time)."""
    key = MARK.format(zone=zone)
    current = tickets.ticket_change_mark()
    mark = RollupMark.objects.filter(time_zone=key).first()
    if mark is not None and (mark.changed_through, mark.last_id) == (current[0], current[1] or 0):
        return
    with transaction.atomic():
        mark, created = RollupMark.objects.select_for_update().get_or_create(time_zone=key)
        current = tickets.ticket_change_mark()
        if not created and (mark.changed_through, mark.last_id) == (current[0], current[1] or 0):
            return
        since = None if created else (mark.changed_through or timezone.now()) - LATE_COMMIT
        if since is None:
            TicketFigure.objects.all().delete()
            mark.rebuilt_at = timezone.now()
        views = tickets.views_with_forms()
        batch: list[tuple] = []
        for row in tickets.tickets_changed(since=since, after_id=mark.last_id):
            batch.append(row)
            if len(batch) == 2000:
                _store(batch, zone, views)
                batch = []
        _store(batch, zone, views)
        mark.changed_through, mark.last_id = current[0], current[1] or 0
        mark.save()


@transaction.atomic
def rebuild(zone: ZoneInfo) -> None:
    """Everything worked out again, in one transaction: readers see the old figures until then."""
    RollupMark.objects.filter(time_zone=MARK.format(zone=zone)).delete()
    refresh(zone)


@dataclass
class TicketWeek:
    week: date
    backlog: list[int]  # per view, at the week's end
    solved: list[int]  # per view
    created: int
    replied: int
    median_reply_minutes: int | None

    @property
    def median_reply_label(self) -> str:
        return label(self.median_reply_minutes)


@dataclass
class TicketReport:
    filters: WeekFilters
    time_zone: str
    views: list[str]
    rows: list[TicketWeek]
    solved_by_agent: list[tuple[str, str, list[int]]]  # (agent, view, per week)
    routed: list[tuple[str, list[int]]]  # (delegate, per week)


def ticket_report(filters: WeekFilters, *, zone: ZoneInfo) -> TicketReport:
    refresh(zone)
    views = sorted(tickets.views_with_forms(), key=lambda v: (v.position, v.name))
    view_of = {v.pk: v.name for v in views}
    names = [v.name for v in views] + [OTHER]
    column = {name: i for i, name in enumerate(names)}
    weeks = filters.weeks
    start = datetime.combine(filters.first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(filters.last + timedelta(weeks=1), datetime.min.time(), tzinfo=zone)
    rows = {w: TicketWeek(week=w, backlog=[0] * len(names), solved=[0] * len(names), created=0,
                          replied=0, median_reply_minutes=None) for w in weeks}
    figures = TicketFigure.objects.filter(time_zone=str(zone))
    # Backlog: what was open when the range began, then each week's created minus solved.
    before = figures.values("view_id").annotate(
        created=Count("id", filter=Q(created_at__lt=start)),
        solved=Count("id", filter=Q(solved_at__lt=start))).order_by()
    open_now = [0] * len(names)
    for row in before:
        open_now[column[view_of.get(row["view_id"], OTHER)]] += row["created"] - row["solved"]
    created = figures.filter(week__gte=filters.first, week__lte=filters.last).values(
        "week", "view_id").annotate(n=Count("id")).order_by()
    solved = figures.filter(solved_week__gte=filters.first, solved_week__lte=filters.last).values(
        "solved_week", "view_id", "solved_by").annotate(n=Count("id")).order_by()
    change = {w: [0] * len(names) for w in weeks}
    for row in created:
        change[row["week"]][column[view_of.get(row["view_id"], OTHER)]] += row["n"]
        rows[row["week"]].created += row["n"]
    agents: dict[tuple[int | None, str], list[int]] = {}
    for row in solved:
        view = view_of.get(row["view_id"], OTHER)
        change[row["solved_week"]][column[view]] -= row["n"]
        rows[row["solved_week"]].solved[column[view]] += row["n"]
        agents.setdefault((row["solved_by"], view), [0] * len(weeks))[
            weeks.index(row["solved_week"])] += row["n"]
    for w in weeks:
        open_now = [a + b for a, b in zip(open_now, change[w], strict=True)]
        rows[w].backlog = open_now
    histogram: dict[date, dict[int, int]] = {}
    for row in figures.filter(week__gte=filters.first, week__lte=filters.last,
                              first_reply_minutes__isnull=False).values(
            "week", "first_reply_minutes").annotate(n=Count("id")).order_by():
        histogram.setdefault(row["week"], {})[row["first_reply_minutes"]] = row["n"]
    for w in weeks:
        rows[w].replied = sum(histogram.get(w, {}).values())
        rows[w].median_reply_minutes = percentile(histogram.get(w, {}), 0.5)
    people = tickets.names_of(agent for agent, _ in agents)
    routed: dict[str, list[int]] = {}
    for row in tickets.routed_per_delegate(start=start, end=end, zone=zone):
        week = _monday(row["week"], zone) if isinstance(row["week"], datetime) else row["week"]
        target = row["routed_to"] or (f"asked {row['consulted']}" if row["consulted"] else "?")
        if week in rows:
            routed.setdefault(target, [0] * len(weeks))[weeks.index(week)] += row["count"]
    return TicketReport(
        filters=filters, time_zone=str(zone), views=names, rows=[rows[w] for w in weeks],
        solved_by_agent=sorted(((people.get(a, "Nobody") if a else "Nobody", view, counts)
                                for (a, view), counts in agents.items()), key=lambda r: r[:2]),
        routed=sorted(routed.items()))
