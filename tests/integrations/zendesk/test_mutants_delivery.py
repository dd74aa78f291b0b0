"""The Zendesk deliverer's promises no test pinned (python -m mutation
integrations/zendesk/delivery.py): what an agent's change becomes in Zendesk's terms, what a
success records, and what a conflict shows. Pure steps, so no fake server is needed."""

from datetime import UTC, datetime

import pytest

from integrations.models import OutboxMessage
from integrations.zendesk import delivery
from integrations.zendesk.models import ZendeskUser
from people.models import AgentProfile
from tests.factories import TicketFactory, UserFactory, team
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def _in_zendesk(slug: str, zendesk_id: int):
    group = team(slug)
    group.zendesk_id = zendesk_id
    group.save()
    return group


# -- the domain's change in Zendesk's terms ------------------------------------------


def test_groups_tags_and_status_map_to_zendesk_fields(agent):
    AgentProfile.objects.filter(user=agent).update(zendesk_id=1001)
    body, skipped = delivery.ticket_changes(
        {"status": "pending", "group": _in_zendesk("ld", 77), "tags": ("a", "b"),
         "assignee": None, "comment": {"id": 1, "html": "<p>x</p>", "public": False}},
        actor=agent)
    assert body == {"status": "pending", "group_id": 77, "tags": ["a", "b"], "assignee_id": None,
                    "comment": {"html_body": "<p>x</p>", "public": False, "author_id": 1001}}
    assert skipped == []


def test_clearing_the_group_sends_none():
    assert delivery.ticket_changes({"group": None}) == ({"group_id": None}, [])


def test_a_team_that_is_not_a_zendesk_group_is_left_out_and_said():
    body, skipped = delivery.ticket_changes({"group": team("field-enablement")})
    assert body == {}
    assert skipped == [f"team {team('field-enablement').name} is not a Zendesk group"]


def test_an_assignee_without_a_zendesk_account_is_left_out_and_said():
    nobody = UserFactory(username="local-only")
    body, skipped = delivery.ticket_changes({"assignee": nobody})
    assert body == {} and skipped == ["assignee local-only has no Zendesk account"]


def test_a_change_without_tags_sends_no_tags_and_empty_tags_clear_them():
    assert "tags" not in delivery.ticket_changes({"status": "open"})[0]
    assert delivery.ticket_changes({"tags": []})[0] == {"tags": []}


def test_only_zendesk_tickets_are_queued():
    ticket = TicketFactory()
    assert delivery.on_ticket_changed(None, ticket=ticket, action="note",
                                      changes={"status": "open"}) is None
    assert not OutboxMessage.objects.exists()


# -- recording a success ----------------------------------------------------------------


def _message(ticket, **payload) -> OutboxMessage:
    return OutboxMessage.objects.create(system="zendesk", action="reply", subject=ticket.subject_key,
                                        payload={"ticket_id": 5, "ticket_pk": ticket.pk, **payload})


def _answer(stamp="2026-11-26T10:00:00Z", comment_id=None, audit_id=9):
    events = [{"type": "Change"}] + ([{"type": "Comment", "id": comment_id}] if comment_id else [])
    return {"ticket": {"updated_at": stamp, "status": "open"},
            "audit": {"id": audit_id, "events": events}}


def test_a_success_moves_the_ticket_to_zendesks_new_version_only_forward():
    ticket, other = TicketFactory(zendesk_id=5), TicketFactory(zendesk_id=6)
    record = delivery.record_success(_message(ticket), _answer(), "2026-11-26T09:00:00Z")
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.upstream_updated_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert other.upstream_updated_at is None  # another ticket is not touched
    assert record == {"updated_at": "2026-11-26T10:00:00Z", "sent_stamp": "2026-11-26T09:00:00Z",
                      "status": "open", "comment_id": None, "audit_id": 9}
    delivery.record_success(_message(ticket), _answer("2026-11-26T08:00:00Z"), None)
    ticket.refresh_from_db()
    assert ticket.upstream_updated_at == datetime(2026, 11, 26, 10, tzinfo=UTC)  # never back


def test_a_success_links_our_comment_to_zendesks(agent):
    ticket = TicketFactory(zendesk_id=5)
    ours = Comment.objects.create(ticket=ticket, author=agent, body_html="<p>x</p>")
    untouched = Comment.objects.create(ticket=ticket, author=agent, body_html="<p>y</p>")
    delivery.record_success(_message(ticket, comment_pk=ours.pk), _answer(comment_id=555), None)
    ours.refresh_from_db()
    untouched.refresh_from_db()
    assert ours.zendesk_id == 555 and untouched.zendesk_id is None


def test_a_comment_the_sync_brought_first_is_not_doubled(agent):
    ticket = TicketFactory(zendesk_id=5)
    synced = Comment.objects.create(ticket=ticket, body_html="<p>x</p>", zendesk_id=555)
    ours = Comment.objects.create(ticket=ticket, author=agent, body_html="<p>x</p>")
    other = Comment.objects.create(ticket=ticket, author=agent, body_html="<p>z</p>")
    delivery.record_success(_message(ticket, comment_pk=ours.pk), _answer(comment_id=555), None)
    assert set(Comment.objects.values_list("pk", flat=True)) == {synced.pk, other.pk}


def test_a_success_without_a_comment_event_links_nothing(agent):
    ticket = TicketFactory(zendesk_id=5)
    ours = Comment.objects.create(ticket=ticket, author=agent, body_html="<p>x</p>")
    Comment.objects.create(ticket=ticket, author=agent, body_html="<p>another, not yet sent</p>")
    delivery.record_success(_message(ticket, comment_pk=ours.pk), _answer(), None)
    ours.refresh_from_db()
    assert ours.zendesk_id is None


def test_only_this_lanes_later_queued_rows_move_to_the_new_version():
    ticket, elsewhere = TicketFactory(zendesk_id=5), TicketFactory(zendesk_id=6)

    def row(**kwargs):
        fields = {"system": "zendesk", "action": "status", "subject": ticket.subject_key,
                  "payload": {}, "upstream_version": "v1", **kwargs}
        return OutboxMessage.objects.create(**fields)

    earlier = row()  # queued before the row being sent: written against its own version
    sent = _message(ticket)
    follows = row()
    other_lane = row(subject=elsewhere.subject_key)
    slack = row(system="slack")
    failed = row(state="failed")
    other_version = row(upstream_version="v0")
    delivery.record_success(sent, _answer("v2-stamp"), "v1")
    versions = dict(OutboxMessage.objects.values_list("pk", "upstream_version"))
    assert versions[follows.pk] == "v2-stamp"
    assert [versions[r.pk] for r in (other_lane, slack, failed, other_version)] == [
        "v1", "v1", "v1", "v0"]
    assert versions[earlier.pk] == "v1"
    delivery.record_success(sent, {"ticket": {}}, "v2-stamp")  # no new stamp: nothing moves
    assert OutboxMessage.objects.get(pk=follows.pk).upstream_version == "v2-stamp"


# -- a conflict, as the ticket page shows it ----------------------------------------------


class Upstream:
    """A stand-in for the client: what Zendesk has now."""

    def __init__(self, ticket):
        self.ticket = ticket

    def show_ticket(self, ticket_id):
        return {"ticket": self.ticket}


def test_a_conflict_lists_only_the_fields_we_sent_that_differ(agent):
    AgentProfile.objects.filter(user=agent).update(zendesk_id=1001)
    ZendeskUser.objects.create(zendesk_id=1999, name="Someone Else")
    ZendeskUser.objects.create(zendesk_id=2002, name="Alan Turing")
    _in_zendesk("ld", 77)
    upstream = {"status": "solved", "assignee_id": 2002, "group_id": 77, "tags": ["b", "a"],
                "priority": "high", "updated_at": "2026-11-26T11:00:00Z", "subject": "S"}
    sent = {"status": "pending", "assignee_id": 1001, "group_id": None, "tags": ["a", "b"],
            "comment": {"html_body": "x"}}
    record = delivery.conflict_record(Upstream(upstream), 5, sent, "stamp")
    assert record["upstream_updated_at"] == "2026-11-26T11:00:00Z"
    assert record["differences"] == [
        {"field": "Status", "ours": "pending", "theirs": "solved"},
        {"field": "Assignee", "ours": "Ada Lovelace", "theirs": "Alan Turing"},
        {"field": "Group", "ours": "(none)", "theirs": team("ld").name},
        {"field": "Comment", "ours": "your comment (not yet in Zendesk)", "theirs": "-"},
    ]


def test_a_conflict_names_unknown_people_and_groups_by_id_and_shows_tags():
    record = delivery.conflict_record(
        Upstream({"assignee_id": 31, "group_id": 32, "tags": ["x", "y"]}), 5,
        {"assignee_id": 41, "group_id": 42, "tags": []}, None)
    assert record["differences"] == [
        {"field": "Assignee", "ours": "Zendesk user 41", "theirs": "Zendesk user 31"},
        {"field": "Group", "ours": "Zendesk group 42", "theirs": "Zendesk group 32"},
        {"field": "Tags", "ours": "(none)", "theirs": "x y"},
    ]


def test_a_conflict_shows_a_person_by_username_when_nameless():
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    AgentProfile.objects.update_or_create(user=nameless, defaults={"zendesk_id": 3003})
    assert delivery._show("assignee_id", 3003) == "nameless"
    assert delivery._show("tags", "one") == "one"
    assert delivery._show("priority", "high") == "high"


def test_a_conflict_whose_upstream_cannot_be_read_says_so():
    from integrations.errors import TransientError

    class Down:
        def show_ticket(self, ticket_id):
            raise TransientError("down", 503)

    record = delivery.conflict_record(Down(), 5, {"status": "open"}, "stamp")
    assert record["fetch_error"].startswith("The current Zendesk version could not be fetched")


# -- a Zendesk macro, asked once -----------------------------------------------------------


class Macros:
    def __init__(self, comment):
        self.calls = 0
        self.comment = comment

    def apply_macro(self, ticket_id, macro_id):
        self.calls += 1
        return {"result": {"ticket": {"status": "pending", "tags": ["m"], "ignored": 1,
                                      "comment": self.comment}}}


@pytest.mark.parametrize("comment, expected", [
    ({"html_body": "<p>Hi</p>", "body": "Hi", "public": False},
     {"public": False, "html_body": "<p>Hi</p>"}),
    ({"body": "Plain"}, {"public": True, "body": "Plain"}),
])
def test_a_zendesk_macros_result_is_asked_once_and_kept(comment, expected):
    ticket = TicketFactory(zendesk_id=5)
    message = _message(ticket, macro_id=12)
    other = _message(ticket, macro_id=13)
    client = Macros(comment)
    prepared = delivery._prepared_macro(client, message)
    assert prepared == {"status": "pending", "tags": ["m"], "comment": expected}
    message.refresh_from_db()
    assert message.response["prepared"] == prepared
    assert delivery._prepared_macro(client, message) == prepared and client.calls == 1
    other.refresh_from_db()
    assert other.response == {}


def test_a_zendesk_macro_without_a_comment_prepares_none():
    ticket = TicketFactory(zendesk_id=5)
    prepared = delivery._prepared_macro(Macros({}), _message(ticket, macro_id=12))
    assert "comment" not in prepared
