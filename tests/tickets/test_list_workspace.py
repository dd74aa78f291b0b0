"""The list shows where the agent is ("1–25 of 32") and which tickets the customer wrote on
since the agent last opened them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import TicketFactory
from tickets.models import TicketSeen

pytestmark = pytest.mark.django_db


def _range(html: str) -> str:
    start = html.index("data-range>") + len("data-range>")
    return html[start:html.index("</span>", start)]


def test_the_pager_says_which_rows_of_how_many(agent_client, settings):
    settings.CONSOLE_PAGE_SIZE = 25
    TicketFactory.create_batch(32)
    first = agent_client.get("/views/triage/").content.decode()
    assert _range(first) == "1–25 of 32"
    next_link = first[first.index('rel="next" href="') + 17:].split('"')[0].replace("&amp;", "&")
    assert "start=26" in next_link
    second = agent_client.get("/views/triage/" + next_link).content.decode()
    assert _range(second) == "26–32 of 32"
    back = second[second.index('rel="prev" href="') + 17:].split('"')[0].replace("&amp;", "&")
    assert "start=1" in back and _range(agent_client.get("/views/triage/" + back)
                                        .content.decode()) == "1–25 of 32"


def test_the_count_follows_the_filters_and_garbage_start_reads_as_one(agent_client):
    TicketFactory.create_batch(3, subject="Badge missing")
    TicketFactory.create_batch(4, subject="Course reset")
    html = agent_client.get("/views/triage/?q=badge&start=%C2%B2").content.decode()
    assert _range(html) == "1–3 of 3"
    assert _range(agent_client.get("/views/triage/?start=999999").content.decode()) == "1–7 of 7"


def test_a_customer_reply_since_the_agent_looked_is_marked_until_opened(agent_client, agent):
    now = timezone.now()
    wrote = TicketFactory(subject="Wrote again", customer_updated_at=now)
    quiet = TicketFactory(subject="Quiet one", customer_updated_at=now - timedelta(days=2))
    TicketFactory(subject="Never opened", customer_updated_at=now)
    TicketSeen.objects.create(user=agent, ticket=wrote, seen_at=now - timedelta(hours=1))
    TicketSeen.objects.create(user=agent, ticket=quiet, seen_at=now - timedelta(days=1))

    chunks = agent_client.get("/views/triage/").content.decode().split("<tr ")
    rows = {subject: next(c for c in chunks if subject in c)
            for subject in ("Wrote again", "Quiet one", "Never opened")}
    assert "customer replied" in rows["Wrote again"]
    assert "customer replied" not in rows["Quiet one"]
    assert "customer replied" not in rows["Never opened"]  # everything there is new anyway

    agent_client.get(f"/tickets/{wrote.pk}/")
    assert TicketSeen.objects.get(user=agent, ticket=wrote).seen_at > now
    html = agent_client.get("/views/triage/").content.decode()
    assert "customer replied" not in html and "Never opened" in html


def test_the_marker_is_each_agents_own(agent_client, other_agent):
    now = timezone.now()
    ticket = TicketFactory(subject="Seen by the other", customer_updated_at=now)
    TicketSeen.objects.create(user=other_agent, ticket=ticket, seen_at=now - timedelta(hours=1))
    assert "customer replied" not in agent_client.get("/views/triage/").content.decode()


def test_the_list_costs_the_same_queries_with_markers_and_counts(agent_client, agent):
    TicketFactory.create_batch(5, customer_updated_at=timezone.now())
    agent_client.get("/views/triage/")  # warm the session and the per-request caches
    with CaptureQueriesContext(connection) as few:
        agent_client.get("/views/triage/")
    for ticket in TicketFactory.create_batch(40, customer_updated_at=timezone.now()):
        TicketSeen.objects.create(user=agent, ticket=ticket,
                                  seen_at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as many:
        agent_client.get("/views/triage/")
    assert len(many) == len(few)


def test_what_customers_typed_is_escaped_in_every_cell(agent_client):
    TicketFactory(subject='<script>alert("s")</script>', requester_name="<img src=x onerror=1>",
                  priority="urgent")
    html = agent_client.get("/views/triage/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;s&quot;)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=1&gt;" in html
    assert '<span class="pill urgent">urgent</span>' in html


def test_cached_views_and_profile_follow_an_admins_change(agent_client, agent):
    from people.models import AgentProfile
    from tests.factories import region
    from tickets.models import View

    TicketFactory(subject="From Sydney", region=region("APAC"))
    TicketFactory(subject="From Berlin", region=region("EMEA"))
    profile = AgentProfile.objects.get(user=agent)
    profile.preferred_regions.set([region("APAC")])
    html = agent_client.get("/views/triage/?region=mine").content.decode()
    assert "From Sydney" in html and "From Berlin" not in html

    profile.preferred_regions.set([region("EMEA")])  # the agent moved
    html = agent_client.get("/views/triage/?region=mine").content.decode()
    assert "From Berlin" in html and "From Sydney" not in html

    triage = View.objects.get(slug="triage")
    triage.name = "Triage, renamed"
    triage.save()
    assert "Triage, renamed" in agent_client.get("/views/triage/").content.decode()
