"""Views' conditions, filters, keyset pages, and the number of queries a page costs."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import TicketFactory, form, region, team
from tickets import selectors
from tickets.models import Ticket, View

pytestmark = pytest.mark.django_db


def _view(slug):
    return View.objects.get(slug=slug)


def _ids(view, user, **filters):
    page = selectors.ticket_page(view, user, params=filters, size=100)
    return [t.pk for t in page.items]


def test_system_views_follow_the_handbook(agent, other_agent):
    free = form("Free Training")
    triage_new = TicketFactory(status="new")
    triage_assigned = TicketFactory(status="open", assignee=other_agent)
    paid = TicketFactory(status="pending", tags=Ticket.pack_tags(["paid"]), assignee=agent)
    solved = TicketFactory(status="solved", assignee=agent)
    free_ticket = TicketFactory(form=free, group=team("ld"), status="open")

    assert _ids(_view("triage"), agent) == [triage_new.pk]
    assert _ids(_view("paid"), agent) == [paid.pk]
    assert _ids(_view("free"), agent) == [free_ticket.pk]
    assert _ids(_view("my-assigned"), agent) == [paid.pk]
    assert solved.pk not in _ids(_view("my-assigned"), agent)
    assert triage_assigned.pk in _ids(_view("my-assigned"), other_agent)


def test_navigation_shows_each_team_its_views(agent, ld_agent, manager):
    slugs = lambda user: [v.slug for v in selectors.views_for(user)]  # noqa: E731
    assert slugs(agent) == ["my-assigned", "triage", "paid"]
    assert slugs(ld_agent) == ["my-assigned", "triage", "free"]
    assert slugs(manager) == ["my-assigned", "triage", "paid", "free"]
    agent.agent_profile.delete()
    for cached in ("_edudesk_profile", "_edudesk_views"):  # kept per request on the user
        agent.__dict__.pop(cached, None)
    assert slugs(agent) == ["my-assigned"]  # no team: only the views nobody owns


def test_ld_agents_see_the_views_their_team_works_and_what_is_routed_to_them(ld_agent, agent):
    free = form("Free Training")
    free_in_es_group = TicketFactory(form=free, group=team("education-services"), status="open")
    triage = TicketFactory(status="new")
    paid_es = TicketFactory(status="pending", tags=Ticket.pack_tags(["paid"]), assignee=agent)
    routed = TicketFactory(status="open", assignee=ld_agent, group=team("field-enablement"))
    visible = set(selectors.tickets_visible_to(ld_agent).values_list("pk", flat=True))
    assert visible == {free_in_es_group.pk, triage.pk, routed.pk}
    assert paid_es.pk not in visible
    assert _ids(_view("free"), ld_agent) == [free_in_es_group.pk]
    assert _ids(_view("triage"), ld_agent) == [triage.pk]
    assert _ids(_view("my-assigned"), ld_agent) == [routed.pk]


def test_filters_region_status_unassigned_and_search(agent):
    agent.agent_profile.preferred_regions.set([region("EMEA")])
    emea = TicketFactory(region=region("EMEA"), subject="Badge expired", status="open")
    amer = TicketFactory(region=region("AMER"), requester_email="kofi@example.com")
    everywhere = TicketFactory(region=None, assignee=agent, status="open")
    view = View.objects.create(slug="all", name="All")

    assert set(_ids(view, agent, region="mine")) == {emea.pk, everywhere.pk}
    assert _ids(view, agent, region="AMER") == [amer.pk]
    assert set(_ids(view, agent, status="open")) == {emea.pk, everywhere.pk}
    assert everywhere.pk not in _ids(view, agent, unassigned="true")
    assert _ids(view, agent, q="badge EXP") == [emea.pk]
    assert _ids(view, agent, q="kofi@") == [amer.pk]
    assert _ids(view, agent, q=f"#{amer.pk}") == [amer.pk]


def test_keyset_pages_walk_forward_and_back_without_gaps(agent):
    now = timezone.now()
    # Equal timestamps in pairs: the id breaks ties, so no ticket is skipped or repeated.
    tickets = [TicketFactory(updated_at=now - timedelta(minutes=i // 2)) for i in range(23)]
    view = View.objects.create(slug="all", name="All", sort="-updated_at")
    expected = [t.pk for t in sorted(tickets, key=lambda t: (t.updated_at, t.pk), reverse=True)]
    seen, cursors, cursor = [], [], None
    while True:
        page = selectors.ticket_page(view, agent, cursor=cursor,
                                     size=5)
        seen += [t.pk for t in page.items]
        cursors.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected and len(cursors) == 5
    back = selectors.ticket_page(view, agent, cursor=cursors[3].previous_cursor, size=5)
    assert [t.pk for t in back.items] == expected[10:15]


def test_ascending_sort_and_bad_cursor(agent):
    old, new = TicketFactory(created_at=timezone.now() - timedelta(days=2)), TicketFactory()
    view = View.objects.create(slug="all", name="All", sort="created_at")
    assert _ids(view, agent) == [old.pk, new.pk]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        selectors.ticket_page(view, agent, cursor="garbage!!")


def test_neighbours_follow_the_views_order(agent):
    now = timezone.now()
    a, b, c = (TicketFactory(created_at=now - timedelta(hours=h)) for h in (3, 2, 1))
    triage = _view("triage")  # oldest first
    assert selectors.neighbours(triage, agent, b) == (a.pk, c.pk)
    assert selectors.neighbours(triage, agent, a) == (None, b.pk)


def _count_queries(client, url):
    cache.clear()  # the list's "of N" count is kept briefly: measure the page that counts
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/views/triage/", "/api/v1/views/triage/tickets/?page_size=100",
                                 "/views/my-assigned/"])
def test_list_pages_cost_the_same_queries_for_5_or_150_tickets(client, agent, url):
    client.force_login(agent)
    assignees = {"/views/my-assigned/": agent}
    for _ in range(5):
        TicketFactory(assignee=assignees.get(url), status="open", region=region("APAC"))
    small = _count_queries(client, url)
    Ticket.objects.bulk_create([
        Ticket(subject=f"t{i}", status="open", form=form("Professional Services"),
               group=team("education-services"), region=region("EMEA"),
               assignee=assignees.get(url))
        for i in range(145)
    ])
    large = _count_queries(client, url)
    assert small == large
    assert large <= 12


def test_ticket_page_costs_a_fixed_number_of_queries(client, agent):
    from tickets import services

    client.force_login(agent)
    ticket = TicketFactory()
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="one", public=True)
    few = _count_queries(client, f"/tickets/{ticket.pk}/?view=triage")
    for n in range(20):
        services.add_comment(ticket_id=ticket.pk, actor=agent, body=f"more {n}", public=n % 2 == 0)
    assert _count_queries(client, f"/tickets/{ticket.pk}/?view=triage") == few


def test_view_counts_are_cached_until_a_ticket_changes(agent, django_capture_on_commit_callbacks):
    from tickets import services

    ticket = TicketFactory()
    views = selectors.views_for(agent)
    assert selectors.view_counts(views, agent)["triage"] == 1
    TicketFactory()  # created behind the services' back: the cached count stands
    assert selectors.view_counts(views, agent)["triage"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    counts = selectors.view_counts(views, agent)
    assert counts["triage"] == 1 and counts["my-assigned"] == 1


def test_counts_stop_at_the_cap(agent, monkeypatch):
    monkeypatch.setattr(selectors, "VIEW_COUNT_CAP", 3)
    for _ in range(5):
        TicketFactory()
    counts = selectors.view_counts(selectors.views_for(agent), agent)
    assert counts["triage"] == 4
    assert selectors.count_label(counts["triage"]) == "3+"


def test_search_has_trigram_indexes_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets_ticket' "
                       "AND indexdef LIKE '%%gin_trgm_ops%%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"ticket_subject_trgm", "ticket_requester_email_trgm",
                     "ticket_requester_name_trgm"}


def test_search_on_sqlite_uses_the_fts5_index_and_follows_every_write(agent):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index exists on SQLite only")
    view = View.objects.create(slug="all", name="All")
    exam = TicketFactory(subject="Passed the XYLO-EXAM, no badge", requester_name="Zoë Ndlovu")
    wrong = TicketFactory(subject="Wrong email on my badge", requester_email="q@quote.example")
    Ticket.objects.bulk_create([Ticket(subject=f"Bulk {i} invoice", status="open")
                                for i in range(3)])
    with CaptureQueriesContext(connection) as run:
        assert _ids(view, agent, q="xylo-exam, NO") == [exam.pk]
    assert "tickets_ticket_fts MATCH" in run.captured_queries[-1]["sql"]
    assert _ids(view, agent, q="zoë ndl") == [exam.pk]
    assert len(_ids(view, agent, q="invoice")) == 3  # bulk inserts are indexed too
    assert _ids(view, agent, q='say "hi"') == []  # quotes are text, not FTS syntax
    Ticket.objects.filter(pk=exam.pk).update(subject="Certificate renewal")
    assert _ids(view, agent, q="xylo") == [] and _ids(view, agent, q="renewal") == [exam.pk]
    Ticket.objects.filter(pk=exam.pk).delete()
    assert _ids(view, agent, q="renewal") == []
    assert wrong.pk in _ids(view, agent, q="em")  # under three characters: a plain scan


def test_ld_agents_list_page_costs_the_same_queries_whatever_the_data(client, ld_agent):
    client.force_login(ld_agent)
    free = form("Free Training")
    for _ in range(5):
        TicketFactory(form=free, status="open")
    small = _count_queries(client, "/views/free/")
    Ticket.objects.bulk_create([Ticket(subject=f"t{i}", status="open", form=free)
                                for i in range(145)])
    assert _count_queries(client, "/views/free/") == small <= 12
