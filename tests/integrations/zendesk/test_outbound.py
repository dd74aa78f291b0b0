"""Agents' actions written back to the fake Zendesk through the outbox, over real HTTP."""

import time
from collections import Counter
from datetime import timedelta

from django.utils import timezone

from integrations import outbox
from integrations.models import OutboxMessage
from integrations.zendesk import sync
from integrations.zendesk.client import ZendeskClient
from people.models import AgentProfile
from tickets import services
from tickets.models import Comment, Macro, Ticket

from .conftest import open_ids


def deliver_all(seconds: float = 30.0) -> None:
    """What the Celery worker does, in this process: deliver whatever is due until done."""
    deadline = time.monotonic() + seconds
    while OutboxMessage.objects.filter(state=OutboxMessage.State.QUEUED).exists():
        assert time.monotonic() < deadline, "outbox did not drain"
        lanes = outbox.lanes_to_sweep()
        for system, subject in lanes:
            outbox.drain(system, subject)
        if not lanes:
            time.sleep(0.01)


def synced_ticket(fake, n: int = 0) -> Ticket:
    sync.run_sync()
    return Ticket.objects.get(zendesk_id=open_ids(fake, n + 1)[n])


def test_reply_is_written_back_once_with_safe_update(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    stamp = fake_zendesk.get_ticket(ticket.zendesk_id)["updated_at"]

    comment = services.add_comment(ticket_id=ticket.pk, actor=agent, body="We are on it.",
                                   public=True, status="pending")

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.system == "zendesk" and message.state == "queued"
    assert message.payload["updated_stamp"] == stamp
    assert ticket.assignee == agent  # already Ada's: the owner is not sent again
    assert message.payload["ticket"] == {
        "status": "pending",
        "comment": {"html_body": "<p>We are on it.</p>", "public": True, "author_id": 1001}}
    deliver_all()

    message.refresh_from_db()
    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    last = fake_zendesk.get_comments(ticket.zendesk_id)[-1]
    assert message.state == "sent" and upstream["status"] == "pending"
    assert upstream["assignee_id"] == 1001 and last["author_id"] == 1001
    assert "We are on it." in last["body"]
    assert [w.idempotency_key for w in fake_zendesk.applied_writes] == [
        str(message.idempotency_key)]
    ticket.refresh_from_db()
    comment.refresh_from_db()
    assert ticket.upstream_updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == upstream["updated_at"]
    assert comment.zendesk_id == last["id"]

    comments_before = Comment.objects.count()
    sync.run_sync()  # our own write comes back: nothing doubles, nothing reverts
    assert Comment.objects.count() == comments_before
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_a_tickets_queued_actions_go_in_order_each_on_the_version_before(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="Looking now", public=False)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    services.set_status(ticket_id=ticket.pk, status="pending", actor=agent)
    ids = list(OutboxMessage.objects.filter(subject=ticket.subject_key).order_by("pk").values_list(
        "pk", flat=True))

    # A worker that picks up the last one first must wait for the others.
    assert outbox.deliver(ids[-1]).state == "waiting"
    deliver_all()

    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert [w.payload["ticket"].get("status") for w in fake_zendesk.applied_writes][-2:] == [
        "hold", "pending"]
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "pending"


def test_actions_written_while_earlier_ones_are_delivered_never_conflict(fake_zendesk, agent):
    """The load probe's false conflicts: agents keep writing while the worker delivers.

    Each action is written against the version EduDesk knows at that moment; whatever our
    own deliveries did to the ticket meanwhile must not look like someone else's change.
    """
    ticket = synced_ticket(fake_zendesk)
    lane = OutboxMessage.objects.filter(subject=ticket.subject_key).order_by("pk")
    services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="first note", public=False)
    first, second = lane.values_list("pk", flat=True)
    assert outbox.deliver(first).state == "sent"  # the ticket's version moves on
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="second note", public=False)
    assert outbox.deliver(second).state == "sent"
    services.set_status(ticket_id=ticket.pk, status="pending", actor=agent)
    deliver_all()

    assert list(lane.values_list("state", flat=True)) == ["sent"] * 4
    bodies = [(c.get("html_body") or "") + (c.get("body") or "")
              for c in fake_zendesk.get_comments(ticket.zendesk_id)]
    assert sum("first note" in b for b in bodies) == 1
    assert sum("second note" in b for b in bodies) == 1
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "pending"


def test_conflict_is_shown_with_the_upstream_version_and_never_overwrites(
        fake_zendesk, agent, agent_client):
    ticket = synced_ticket(fake_zendesk)
    fake_zendesk.upstream_update(ticket.zendesk_id, status="hold", author_id=1002)
    services.set_status(ticket_id=ticket.pk, status="solved", actor=agent)

    deliver_all()

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "conflict" and "Safe Update prevented" in message.last_error
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "hold"
    assert fake_zendesk.applied_writes == []
    conflict = message.response["conflict"]
    assert conflict["upstream"]["status"] == "hold"
    assert {"field": "Status", "ours": "solved", "theirs": "hold"} in conflict["differences"]
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "conflict" in page and "nothing was overwritten" in page
    assert "<td>solved</td><td>hold</td>" in page and "Send mine anyway" in page

    # The agent has seen Zendesk's version and chooses to send theirs on top of it.
    response = agent_client.post(f"/tickets/{ticket.pk}/deliveries/{message.pk}/retry/")
    assert response.status_code == 302
    deliver_all()
    message.refresh_from_db()
    assert message.state == "sent"
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "solved"


def test_a_worker_that_died_mid_delivery_is_replaced_without_a_second_write(
        fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    # Worker A claimed the row and sent the PUT, then was killed before it wrote anything.
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=1, claimed_until=timezone.now() + timedelta(seconds=outbox.CLAIM_SECONDS))
    ZendeskClient(fake_zendesk.base_url, email="a@b", api_token="t").update_ticket(
        ticket.zendesk_id, message.payload["ticket"], idempotency_key=str(
            message.idempotency_key), updated_stamp=message.payload["updated_stamp"])

    assert outbox.deliver(message.pk).state == "busy"  # A's claim still stands
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.deliver(message.pk).state == "sent"  # B takes over, same idempotency key

    message.refresh_from_db()
    assert message.attempts == 2 and len(fake_zendesk.applied_writes) == 1
    ticket.refresh_from_db()
    assert ticket.upstream_updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") == (
        fake_zendesk.get_ticket(ticket.zendesk_id)["updated_at"])


def test_imported_macro_is_applied_by_zendesk_then_put(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=4002)  # Badge Reissue: comment, pending, a tag

    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    deliver_all()

    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    assert upstream["status"] == "pending" and "badge_reissued" in upstream["tags"]
    requester = fake_zendesk.users[upstream["requester_id"]]["name"].split()[0]
    assert fake_zendesk.get_comments(ticket.zendesk_id)[-1]["body"].startswith(
        f"Hi {requester}, we have reissued")
    applies = [r for r in fake_zendesk.request_log if r.path.endswith("/macros/4002/apply")]
    assert len(applies) == 1 and len(fake_zendesk.applied_writes) == 1
    local = Comment.objects.filter(ticket=ticket).order_by("-pk").first()
    assert local.zendesk_id == fake_zendesk.get_comments(ticket.zendesk_id)[-1]["id"]


def test_refused_update_fails_with_zendesks_own_message(fake_zendesk, agent, other_agent,
                                                        agent_client):
    ticket = synced_ticket(fake_zendesk)
    # Grace's profile points at a Zendesk end-user, so Zendesk refuses her as assignee.
    AgentProfile.objects.filter(user=other_agent).update(zendesk_id=100_001)

    services.assign_ticket(ticket_id=ticket.pk, assignee=other_agent, actor=agent, take_over=True)
    deliver_all()

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "failed" and message.attempts == 1
    assert "RecordInvalid" in message.last_error and "Assignee: is not an agent" in (
        message.last_error)
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Zendesk said: HTTP 422: RecordInvalid" in page and ">Retry</button>" in page


def test_unmapped_local_people_are_left_out_and_said_so(fake_zendesk, agent, ld_agent):
    ticket = synced_ticket(fake_zendesk)
    services.assign_ticket(ticket_id=ticket.pk, assignee=ld_agent, actor=agent, take_over=True)
    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert "assignee_id" not in message.payload["ticket"]
    assert message.payload["skipped"] == ["assignee lin has no Zendesk account"]


def test_500_actions_under_5xx_and_429_arrive_exactly_once_within_budget(
        fake_zendesk, agent, settings):
    fake_zendesk.seed(tickets=150, comments_per_ticket=1)
    sync.run_sync()
    tickets = list(Ticket.objects.filter(zendesk_id__in=open_ids(fake_zendesk, 50)))
    assert len(tickets) == 50
    # Zendesk allows 200 requests per (shortened) window; EduDesk's budget says the same.
    fake_zendesk.rate_limit, fake_zendesk.rate_limit_window = 200, 2.0
    settings.ZENDESK_RATE_LIMIT_PER_MINUTE, settings.ZENDESK_RATE_WINDOW_SECONDS = 200, 2.0
    fake_zendesk.error_rate = 0.2  # 500/502/503 before anything is applied
    fake_zendesk.rate_limit_rate = 0.1  # and 429s on top of the window
    fake_zendesk.lost_response_rate = 0.05  # applied, but the answer never arrives
    statuses = ["open", "pending", "hold"]
    for ticket in tickets:
        for i in range(10):
            if i % 3 == 0:
                current = Ticket.objects.get(pk=ticket.pk).status
                nxt = next(s for s in statuses[i // 3 % 3:] + statuses if s != current)
                services.set_status(ticket_id=ticket.pk, status=nxt, actor=agent)
            else:
                services.add_comment(ticket_id=ticket.pk, actor=agent, body=f"note {i}",
                                     public=False)
    keys = {str(k) for k in OutboxMessage.objects.values_list("idempotency_key", flat=True)}
    assert len(keys) == 500

    deliver_all(seconds=60)

    assert Counter(OutboxMessage.objects.values_list("state", flat=True)) == {"sent": 500}
    applied = Counter(w.idempotency_key for w in fake_zendesk.applied_writes)
    assert set(applied) == keys and set(applied.values()) == {1}
    for ticket in tickets:
        notes = [c["body"] for c in fake_zendesk.get_comments(ticket.zendesk_id)
                 if c["body"].startswith("note ")]
        assert sorted(notes) == sorted(f"note {i}" for i in range(10) if i % 3)
        assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == Ticket.objects.get(
            pk=ticket.pk).status
    statuses_seen = Counter(r.status for r in fake_zendesk.request_log)
    assert statuses_seen[429] > 20 and sum(statuses_seen[s] for s in (500, 502, 503)) > 50
    assert fake_zendesk.max_requests_in_any_window(2.0) <= 200
    assert OutboxMessage.objects.filter(attempts__gt=1).exists()


def test_without_configuration_the_delivery_fails_visibly(fake_zendesk, agent, settings):
    ticket = synced_ticket(fake_zendesk)
    settings.ZENDESK_URL = ""
    services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    deliver_all()
    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "failed" and "not configured" in message.last_error


def test_a_reply_zendesk_refused_is_marked_on_the_comment_itself(fake_zendesk, agent,
                                                                 agent_client):
    ticket = synced_ticket(fake_zendesk)
    # Closed in Zendesk meanwhile: Zendesk refuses any update of a closed ticket.
    fake_zendesk.upstream_update(ticket.zendesk_id, status="solved")
    fake_zendesk.upstream_update(ticket.zendesk_id, status="closed")
    comment = services.add_comment(ticket_id=ticket.pk, actor=agent, public=True,
                                   body="Your badge is on its way")
    deliver_all()

    def marker() -> str:
        page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
        found = page[page.index(f'id="comment-body-{comment.pk}"'):]
        return found[:found.index("</div>", found.index('class="undelivered"'))]

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "conflict"  # Zendesk's version moved on first
    assert "Not sent to the customer" in marker()
    assert ">Send anyway<" in marker()

    assert outbox.retry_now(message_id=message.pk, subject=ticket.subject_key)
    deliver_all()
    message.refresh_from_db()
    assert message.state == "failed" and "closed" in message.last_error.lower()
    shown = marker()
    assert "Not sent to the customer" in shown and "closed prevents ticket update" in shown
    assert f'data-copy="comment-body-{comment.pk}"' in shown
    assert "Create a follow-up in Zendesk" in shown and ">Retry<" not in shown


def test_a_delivered_reply_carries_no_marker(fake_zendesk, agent, agent_client):
    ticket = synced_ticket(fake_zendesk)
    services.add_comment(ticket_id=ticket.pk, actor=agent, public=True, body="All set")
    deliver_all()
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "All set" in page and 'class="undelivered"' not in page


def test_a_reply_keeps_an_owner_who_has_no_edudesk_login(fake_zendesk, agent):
    sync.run_sync()
    # Alan Turing (1003) is a Zendesk agent without an EduDesk login.
    ticket = Ticket.objects.filter(assignee__isnull=True).exclude(assignee_name="").filter(
        status="open").first()
    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    assert upstream["assignee_id"] and ticket.assignee_name

    services.add_comment(ticket_id=ticket.pk, actor=agent, body="Looking into it.", public=True,
                         status="pending")
    deliver_all()

    after = fake_zendesk.get_ticket(ticket.zendesk_id)
    assert after["status"] == "pending" and after["assignee_id"] == upstream["assignee_id"]
    ticket.refresh_from_db()
    assert ticket.assignee_name == upstream_name(fake_zendesk, upstream["assignee_id"])


def upstream_name(fake, user_id: int) -> str:
    return fake.users[user_id]["name"]
