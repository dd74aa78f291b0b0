"""The badges pages as an agent uses them: failures with Credly's words, the reconciliation queue,
an earner, issue by hand, change an email, revoke; and the panel beside tickets and threads."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from badges import services
from badges.models import Badge, Submission
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.badges.support import deliver_all
from tests.factories import BadgeFactory, SubmissionFactory, TicketFactory

pytestmark = pytest.mark.django_db


def issue(template, email="ada@example.com", actor=None) -> Badge:
    return services.issue_badge(template=template, recipient_email=email,
                                recipient_first_name="Ada", recipient_last_name="Lovelace",
                                actor=actor)


def count_queries(client, url: str) -> tuple[int, object]:
    client.get(url)  # the session's first request may write it; not the page's cost
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:800]
    return len(queries), response


def test_a_refused_issue_shows_credlys_words_and_retries(agent_client, agent, fake_credly,
                                                         template):
    fake_credly.templates[template.credly_id].state = "archived"  # archived on Credly meanwhile
    badge = issue(template)
    deliver_all()
    message = OutboxMessage.objects.get()
    assert message.state == "failed"

    page = agent_client.get("/badges/").content.decode()
    assert f'data-failure="{message.pk}"' in page
    assert "Archived badge templates cannot be used to issue badges" in message.last_error \
        or message.last_error in page
    assert message.last_error.replace("'", "&#x27;") in page  # verbatim (HTML-escaped)

    fake_credly.templates[template.credly_id].state = "active"
    response = agent_client.post(f"/badges/{badge.pk}/deliveries/{message.pk}/retry/",
                                 {"next": "/badges/"})
    assert response.status_code == 302 and response["Location"] == "/badges/"
    deliver_all()
    badge.refresh_from_db()
    assert badge.state == "pending" and len(fake_credly.list_badges()) == 1
    assert AuditEvent.objects.filter(subject=badge.subject_key, verb="retry", actor=agent).exists()
    assert f'data-failure="{message.pk}"' not in agent_client.get("/badges/").content.decode()


def test_the_reconciliation_queue_issues_in_one_click(agent_client, certification, sender):
    late = SubmissionFactory(certification=certification, sender=sender,
                             earner_email="late@example.com",
                             received_at=timezone.now() - timedelta(hours=2))
    SubmissionFactory(certification=certification, sender=sender,  # inside the grace period
                      earner_email="fresh@example.com")
    page = agent_client.get("/badges/").content.decode()
    queue = page[page.index('id="reconciliation"'):page.index('id="recent"')]
    assert "late@example.com" in queue and "fresh@example.com" not in queue

    response = agent_client.post(f"/badges/submissions/{late.pk}/issue/")
    assert response.status_code == 302
    badge = Badge.objects.get(submission=late)
    assert (badge.recipient_email, badge.template) == ("late@example.com",
                                                       certification.badge_template)
    # Queued, not on Credly yet: still listed, with its badge on its way.
    queue = agent_client.get("/badges/").content.decode()
    assert f"badge:{badge.pk}" in queue and "on its way" in queue
    again = agent_client.post(f"/badges/submissions/{late.pk}/issue/", follow=True)
    assert "already holds" in again.content.decode()
    assert Badge.objects.filter(submission=late).count() == 1


def test_recent_results_page_by_keyset_at_a_fixed_cost(agent_client, certification, sender):
    for _n in range(3):
        SubmissionFactory(certification=certification, sender=sender)
    few, _ = count_queries(agent_client, "/badges/")
    for _n in range(60):
        submission = SubmissionFactory(certification=certification, sender=sender)
        BadgeFactory(template=certification.badge_template, submission=submission,
                     recipient_email=submission.earner_email)
    many, response = count_queries(agent_client, "/badges/")
    assert many == few
    page = response.content.decode()
    assert page.count('<tr data-submission=') >= 50 and 'rel="next"' in page
    older = response.context["page"].next_cursor
    rest = agent_client.get(f"/badges/?cursor={older}").context["page"].items
    assert len(rest) == 13
    assert agent_client.get("/badges/?cursor=garbage").status_code == 200


def test_an_earner_by_email(agent_client, certification, sender, template):
    submission = SubmissionFactory(certification=certification, sender=sender,
                                   earner_email="ada@example.com")
    badge = issue(template)
    page = agent_client.get("/badges/earner/?email=ADA@example.com ").content.decode()
    assert f'data-submission="{submission.pk}"' in page and f'data-badge="{badge.pk}"' in page
    assert "No badges for this address" in agent_client.get(
        "/badges/earner/?email=nobody@example.com").content.decode()


def test_issue_by_hand_shows_what_is_wrong_then_issues(agent_client, agent, template):
    response = agent_client.post("/badges/issue/", {
        "template": template.pk, "email": "not-an-email", "first_name": "", "last_name": "L"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "email" in errors and "first_name" in errors

    response = agent_client.post("/badges/issue/", {
        "template": template.pk, "email": "Ada@Example.com", "first_name": "Ada",
        "last_name": "Lovelace"})
    badge = Badge.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/badges/{badge.pk}/"
    assert badge.recipient_email == "ada@example.com"
    assert AuditEvent.objects.filter(subject=badge.subject_key, verb="issue", actor=agent).exists()

    response = agent_client.post("/badges/issue/", {
        "template": template.pk, "email": "ada@example.com", "first_name": "Ada",
        "last_name": "Lovelace"})
    assert response.status_code == 200
    assert "already holds" in str(response.context["form"].errors["email"])
    prefilled = agent_client.get("/badges/issue/?email=x@example.com&first_name=X").content.decode()
    assert 'value="x@example.com"' in prefilled


def test_change_email_of_an_accepted_badge_revokes_then_reissues(agent_client, fake_credly,
                                                                  template):
    badge = issue(template)
    deliver_all()
    badge.refresh_from_db()
    fake_credly.accept(badge.credly_id)
    badge.state = "accepted"
    badge.save(update_fields=["state"])

    response = agent_client.post(f"/badges/{badge.pk}/email/",
                                 {"new_email": "ada@new.example", "next": "/tickets/1/"},
                                 follow=False)
    assert response.status_code == 302 and response["Location"] == "/tickets/1/"
    new = Badge.objects.get(reissued_from=badge)
    shown = agent_client.get(f"/badges/{new.pk}/").content.decode()
    assert "Revoke</strong> badge:" in shown and "Issue</strong> badge:" in shown
    deliver_all()
    states = sorted((b.recipient_email, b.state) for b in fake_credly.list_badges())
    assert states == [("ada@example.com", "revoked"), ("ada@new.example", "pending")]
    steps = agent_client.get(f"/badges/{badge.pk}/steps/").content.decode()
    # The first issue, the revoke, the reissue: all done, so the block stops polling.
    assert steps.count("— done") == 3 and "hx-trigger" not in steps


def test_change_email_of_a_pending_badge_replaces_it(agent_client, fake_credly, template):
    badge = issue(template)
    deliver_all()
    response = agent_client.post(f"/badges/{badge.pk}/email/", {"new_email": "ada@new.example"},
                                 follow=True)
    assert "replace badge:" in response.content.decode()
    deliver_all()
    old, new = fake_credly.list_badges()
    assert (old.state, new.replaces_badge_id, new.recipient_email) == (
        "revoked", old.id, "ada@new.example")


def test_a_bad_email_change_or_revoke_says_why(agent_client, template):
    badge = issue(template)
    response = agent_client.post(f"/badges/{badge.pk}/email/", {"new_email": "nope"}, follow=True)
    assert "Enter the new email address." in response.content.decode()
    response = agent_client.post(f"/badges/{badge.pk}/revoke/", {"reason": " "}, follow=True)
    assert "Credly requires a reason" in response.content.decode()
    response = agent_client.post(f"/badges/{badge.pk}/revoke/", {"reason": "Issued by mistake"})
    assert OutboxMessage.objects.filter(subject=badge.lane, action="revoke").exists()
    assert agent_client.post("/badges/1/email/", {"new_email": "a@b.example",
                                                   "next": "https://evil.example/"}
                             )["Location"] == "/badges/1/"


def test_ld_agents_read_badges_without_the_actions(client, ld_agent, template):
    badge = issue(template)
    client.force_login(ld_agent)
    page = client.get(f"/badges/{badge.pk}/").content.decode()
    assert "Change email" not in page and "Revoke" not in page
    assert client.post(f"/badges/{badge.pk}/revoke/", {"reason": "x"}).status_code == 403


def panel_of(client, page: str) -> tuple[int, str]:
    """The panel a ticket or thread page asks for once it has arrived: (queries, html)."""
    import html as htmllib
    import re

    url = re.search(r'class="earner-panel"[^>]*hx-get="([^"]+)"', page).group(1)
    return count_queries(client, htmllib.unescape(url))


def test_the_ticket_shows_the_requesters_badges_at_a_fixed_cost(agent_client, certification,
                                                                 sender, template):
    ticket = TicketFactory(requester_email="Ada@Example.com", requester_name="Ada Lovelace",
                           subject="Wrong email on my badge")
    url = f"/tickets/{ticket.pk}/"
    _, response = count_queries(agent_client, url)
    with CaptureQueriesContext(connection) as queries:
        agent_client.get(url)
    assert not [q for q in queries.captured_queries if '"badges_' in q["sql"]], \
        "the ticket page does not wait for the earner's record"
    few, response = panel_of(agent_client, response.content.decode())
    assert "No certification results or badges for ada@example.com" in response.content.decode()

    covered = SubmissionFactory(certification=certification, sender=sender,
                                earner_email="ada@example.com")
    badge = issue(template)  # by hand: it covers the result of its template
    passed = SubmissionFactory(sender=sender, earner_email="ada@example.com")
    for _n in range(10):
        other = BadgeFactory(recipient_email="ada@example.com")
        SubmissionFactory(earner_email="ada@example.com", certification__badge_template=other.template)
    page_html = agent_client.get(url).content.decode()
    many, response = panel_of(agent_client, page_html)
    assert many == few, "the panel's queries run whether or not there are badges"
    page = response.content.decode()
    assert f'data-badge="{badge.pk}"' in page and f'action="/badges/{badge.pk}/email/"' in page
    assert f'name="next" value="{url}"' in page and "csrfmiddlewaretoken" in page
    # A passing result whose badge nobody holds: one click to issue it.
    assert f'action="/badges/submissions/{passed.pk}/issue/"' in page
    assert f'action="/badges/submissions/{covered.pk}/issue/"' not in page
    assert Submission.objects.count() == 12


def test_the_thread_shows_the_requesters_badges(agent_client, template):
    from tests.inbox.factories import ThreadFactory

    thread = ThreadFactory(requester_email="ada@example.com")
    badge = issue(template)
    page = agent_client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    page = panel_of(agent_client, page)[1].content.decode()
    assert f'data-badge="{badge.pk}"' in page and "Issue a badge by hand" in page


def test_the_panel_sends_forms_back_only_to_our_own_pages(agent_client):
    page = agent_client.get("/badges/earner/panel/?email=ada@example.com&next=https://evil.example/"
                            ).content.decode()
    assert "evil.example" not in page
    page = agent_client.get("/badges/earner/panel/?email=ada@example.com&next=/tickets/1/"
                            ).content.decode()
    assert "next=/tickets/1/\"" in page
