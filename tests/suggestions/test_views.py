"""The panels on the ticket and thread pages: one stored row read, never computed there."""

import pytest

from suggestions import compute, services
from suggestions.models import Feedback
from tests.factories import TicketFactory
from tests.inbox.factories import MessageFactory, ThreadFactory
from tickets.selectors import tickets_visible_to


@pytest.fixture
def badge_ticket(trained):
    ticket = TicketFactory(subject="Passed the exam, no badge yet", group=None, topic="",
                           description="I passed my certification exam but no badge arrived.")
    services.suggest_for_ticket(ticket.pk)
    return ticket


@pytest.fixture
def no_computing_in_requests(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("suggestions computed during a request")

    monkeypatch.setattr(compute, "for_ticket", refuse)
    monkeypatch.setattr(compute, "for_thread", refuse)


def test_ticket_page_shows_the_panel(agent_client, badge_ticket, no_computing_in_requests):
    html = agent_client.get(f"/tickets/{badge_ticket.pk}/").content.decode()
    assert 'aria-label="Suggestions"' in html
    assert "Certification &gt; Badge not received" in html
    assert "similar tickets in the last 90 days" in html
    assert 'data-suggest-macro="' in html  # fills the macro select: the preview shows first
    assert "js/suggestions.js" in html


def test_the_panel_costs_one_query(agent_client, badge_ticket, django_assert_num_queries,
                                   no_computing_in_requests):
    from django.template import Context, Template

    template = Template("{% load suggestions %}{% ticket_suggestions ticket %}")
    user = badge_ticket.assignee  # None: the panel only needs a user for its visibility rule
    with django_assert_num_queries(1):
        template.render(Context({"ticket": badge_ticket, "user": user}))


def test_ticket_without_suggestions_yet_says_so(agent_client, db):
    ticket = TicketFactory()
    from suggestions.models import Suggestion

    Suggestion.objects.filter(subject=ticket.subject_key).delete()
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "None yet: suggestions are prepared in the background" in html


def test_thread_page_shows_category_and_responses(agent_client, trained, monkeypatch):
    thread = ThreadFactory(subject="Sandbox out of credits", category=None)
    MessageFactory(thread=thread, body_text="The demo cloud sandbox stopped: no credits left.")
    services.suggest_for_thread(thread.pk)
    monkeypatch.setattr(compute, "for_thread", None)  # the page must not compute
    html = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert "Demo cloud" in html and "Set category" in html
    assert "Out of demo cloud credits" in html


def test_not_helpful_records_ignored(agent_client, agent, badge_ticket):
    label = services.selectors.suggestion_for(badge_ticket.subject_key).payload["macros"][0]["label"]
    response = agent_client.post(f"/tickets/{badge_ticket.pk}/suggestions/dismiss/",
                                 {"kind": "macro", "label": label})
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.choice, feedback.suggested, feedback.actor) == ("ignored", label, agent)


def test_dismissing_garbage_changes_nothing(agent_client, badge_ticket):
    agent_client.post(f"/tickets/{badge_ticket.pk}/suggestions/dismiss/",
                      {"kind": "weather", "label": "x"})
    assert not Feedback.objects.exists()


def test_ld_agent_cannot_dismiss_on_a_ticket_outside_their_reach(client, ld_agent, badge_ticket):
    badge_ticket.status = "pending"
    badge_ticket.save()
    client.force_login(ld_agent)
    response = client.post(f"/tickets/{badge_ticket.pk}/suggestions/dismiss/",
                           {"kind": "macro", "label": "1"})
    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_similar_tickets_outside_an_ld_agents_reach_are_not_shown(client, ld_agent, trained):
    from tests.factories import team

    ticket = TicketFactory(subject="Passed the exam, no badge yet", group=team("ld"), topic="",
                           description="I passed my certification exam but no badge arrived.")
    services.suggest_for_ticket(ticket.pk)
    similar = services.selectors.suggestion_for(ticket.subject_key).payload["similar"]
    assert similar
    client.force_login(ld_agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    reach = set(tickets_visible_to(ld_agent).filter(pk__in=[s["id"] for s in similar])
                .values_list("pk", flat=True))
    assert reach != {s["id"] for s in similar}  # some are Education Services' alone
    for s in similar:
        assert (f'href="/tickets/{s["id"]}/"' in html) == (s["id"] in reach)
