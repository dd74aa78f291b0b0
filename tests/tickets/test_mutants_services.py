"""What an agent or a customer would notice if a ticket service went subtly wrong.

Each test here kills mutants of tickets/services.py that the rest of the suite let live
(python -m mutation tickets/services.py): a note made public, an audit line's lost "before",
a switched-off macro applied, a rule overriding the person the agent picked, and so on.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from people.models import AuditEvent
from tests.factories import MacroFactory, RoutingRuleFactory, TicketFactory, UserFactory, team
from tickets import services
from tickets.models import Comment, Ticket
from tickets.signals import ticket_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def told():
    """What the ticket domain tells its listeners (the Zendesk adapter among them)."""
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    ticket_changed.connect(receiver, weak=False)
    yield heard
    ticket_changed.disconnect(receiver)


def _audit(ticket):
    return list(AuditEvent.objects.filter(subject=ticket.subject_key).order_by("pk"))


# -- macros ---------------------------------------------------------------------------


def test_a_macros_internal_note_stays_internal(agent, told):
    ticket = TicketFactory()
    macro = MacroFactory(comment="Checked the exam log", comment_is_public=False, set_status="",
                         add_tags="")
    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).comment_is_public is False
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    comment = Comment.objects.get(ticket=ticket)
    assert comment.is_public is False
    assert told[-1]["changes"]["comment"] == {"id": comment.pk, "html": comment.body_html,
                                              "public": False}


def test_a_switched_off_macro_is_refused_and_changes_nothing(agent, told):
    ticket = TicketFactory()
    macro = MacroFactory(active=False)
    with pytest.raises(ValidationError) as error:
        services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    assert "macro" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == "new" and not Comment.objects.exists() and not told
    assert not _audit(ticket)


def test_a_macro_may_not_close_a_ticket(agent):
    ticket = TicketFactory()
    macro = MacroFactory(set_status=Ticket.Status.CLOSED)
    with pytest.raises(ValidationError) as error:
        services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    assert "status" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == "new" and not Comment.objects.exists()


def test_a_macros_assignee_is_previewed_applied_audited_and_told(agent, other_agent, told):
    ticket = TicketFactory()
    macro = MacroFactory(set_assignee=other_agent, comment="", set_status="", add_tags="")
    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).assignee == other_agent
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert _audit(ticket)[-1].changes["assignee"] == "Grace Hopper"
    assert told[-1]["changes"]["assignee"] == other_agent
    # Already theirs: the preview has nothing to say about the assignee.
    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).assignee is None


def test_a_macros_group_is_previewed_only_when_it_changes(agent):
    ticket = TicketFactory(group=team("ld"))
    macro = MacroFactory(set_group=team("ld"), comment="", set_status="", add_tags="")
    preview = services.preview_macro(ticket=ticket, macro=macro, actor=agent)
    assert preview.group is None and preview.is_empty


def test_a_macros_tags_status_and_group_travel_to_listeners(agent, told):
    ticket = TicketFactory(tags=Ticket.pack_tags(["old"]))
    macro = MacroFactory(add_tags="answered", remove_tags="old", set_group=team("ld"))
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    changes = told[-1]["changes"]
    assert told[-1]["action"] == "macro"
    assert changes["tags"] == ["answered"] and changes["status"] == "pending"
    assert changes["group"] == team("ld") and changes["macro"] == macro
    event = _audit(ticket)[-1]
    assert event.summary == f"Applied macro {macro.title}"
    assert event.changes["tags"] == {"added": ["answered"], "removed": ["old"]}
    assert event.changes["status"] == ["new", "pending"]
    assert event.changes["group"] == team("ld").name


def test_the_preview_lists_only_real_tag_changes(agent):
    ticket = TicketFactory(tags=Ticket.pack_tags(["present", "keep"]))
    macro = MacroFactory(add_tags="present new", remove_tags="absent keep")
    preview = services.preview_macro(ticket=ticket, macro=macro, actor=agent)
    assert preview.tags_added == ["new"]
    assert preview.tags_removed == ["keep"]


def test_a_macro_setting_the_current_status_changes_no_status(agent, told):
    ticket = TicketFactory(status=Ticket.Status.PENDING)
    macro = MacroFactory(set_status=Ticket.Status.PENDING, add_tags="")
    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).status is None
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    assert "status" not in _audit(ticket)[-1].changes
    assert told[-1]["changes"]["status"] == "pending"


def test_a_macro_without_a_comment_writes_none(agent):
    ticket = TicketFactory()
    macro = MacroFactory(comment="", add_tags="answered")
    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).comment_html == ""
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    assert not Comment.objects.exists()


def test_a_macros_comment_is_sanitised_before_it_is_stored(agent):
    ticket = TicketFactory(requester_name="<img src=x onerror=alert(1)> Eve")
    macro = MacroFactory(comment="Hi {{ticket.requester.name}}")
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    body = Comment.objects.get(ticket=ticket).body_html
    assert "<img" not in body and "Hi &lt;img" in body


# -- placeholders ---------------------------------------------------------------------


def test_placeholders_with_inner_spaces_and_missing_names(agent):
    ticket = TicketFactory(requester_name="", subject="Exam voucher", zendesk_id=777)
    actor = UserFactory(username="nofirst", first_name="", last_name="")
    text = services.render_placeholders(
        "{{ ticket.id }}|{{ticket.subject}}|Hi {{ticket.requester.name}}|"
        "{{ticket.requester.first_name}}|{{current_user.name}}|{{current_user.first_name}}",
        ticket=ticket, actor=actor)
    assert text == "777|Exam voucher|Hi there|there|nofirst|nofirst"
    assert services.render_placeholders("{{current_user.first_name}}", ticket=ticket,
                                        actor=None) == ""
    assert services.render_placeholders("{{current_user.name}}", ticket=ticket,
                                        actor=None) == "nobody"


# -- replies and statuses -------------------------------------------------------------


def test_a_reply_without_a_status_opens_a_new_ticket(agent, told):
    ticket = TicketFactory()
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="On it", public=True)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    event = _audit(ticket)[-1]
    assert event.verb == "reply" and event.summary == "Public reply, submitted as open"
    assert event.changes["status"] == ["new", "open"]
    assert event.changes["assignee"] == [None, "Ada Lovelace"]
    assert told[-1]["changes"]["status"] == "open" and told[-1]["changes"]["assignee"] == agent


def test_a_reply_without_a_status_leaves_a_pending_ticket_pending(agent, told):
    ticket = TicketFactory(status=Ticket.Status.PENDING, assignee=agent)
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="One more thing", public=True)
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    event = _audit(ticket)[-1]
    assert event.summary == "Public reply" and "status" not in event.changes
    assert "assignee" not in event.changes


def test_a_note_is_audited_as_a_note(agent, told):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    comment = services.add_comment(ticket_id=ticket.pk, actor=agent, body="Internal", public=False,
                                   status="hold")
    event = _audit(ticket)[-1]
    assert event.verb == "note" and event.summary == "Internal note, submitted as hold"
    assert event.changes["comment"] == comment.pk
    assert told[-1]["action"] == "note"
    assert told[-1]["changes"]["comment"]["public"] is False


def test_a_reply_to_a_ticket_owned_in_zendesk_keeps_its_owner(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN, assignee_name="Alan Turing")
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="Hello", public=True)
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.assignee_name == "Alan Turing"


def test_a_reply_is_sanitised_before_it_is_stored_and_told(agent, told):
    ticket = TicketFactory()
    services.add_comment(ticket_id=ticket.pk, actor=agent, public=True,
                         body="  <b onclick=x>bold</b>  ")
    comment = Comment.objects.get(ticket=ticket)
    assert "<b" not in comment.body_html and "&lt;b onclick=x&gt;bold&lt;/b&gt;" in comment.body_html
    assert told[-1]["changes"]["comment"]["html"] == comment.body_html


@pytest.mark.parametrize("body, field", [("a\x00b", "body"), ("x" * (services.MAX_BODY_CHARS + 1),
                                                                  "body")])
def test_unstorable_replies_are_refused(agent, body, field):
    ticket = TicketFactory()
    with pytest.raises(ValidationError) as error:
        services.add_comment(ticket_id=ticket.pk, actor=agent, body=body, public=True)
    assert field in error.value.message_dict and not Comment.objects.exists()


def test_a_reply_of_exactly_the_limit_is_stored(agent):
    ticket = TicketFactory()
    services.add_comment(ticket_id=ticket.pk, actor=agent, public=True,
                         body="x" * services.MAX_BODY_CHARS)
    assert Comment.objects.filter(ticket=ticket).exists()


def test_every_agent_action_moves_updated_at(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    past = timezone.now() - timedelta(days=3)
    for action in (
        lambda: services.set_status(ticket_id=ticket.pk, status="hold", actor=agent),
        lambda: services.add_comment(ticket_id=ticket.pk, actor=agent, body="x", public=False),
        lambda: services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent),
    ):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=past)
        action()
        ticket.refresh_from_db()
        assert ticket.updated_at > past + timedelta(days=2)


def test_a_status_change_is_audited_with_before_and_after(agent, told):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    services.set_status(ticket_id=ticket.pk, status="solved", actor=agent)
    event = _audit(ticket)[-1]
    assert event.verb == "status" and event.summary == "Status set to solved"
    assert event.changes == {"status": ["open", "solved"]}
    assert told[-1]["changes"] == {"status": "solved"}
    told.clear()
    services.set_status(ticket_id=ticket.pk, status="solved", actor=agent)  # no change
    assert len(_audit(ticket)) == 1 and not told


# -- assigning ------------------------------------------------------------------------


def test_reassigning_keeps_the_before_in_the_audit(agent, other_agent, told):
    ticket = TicketFactory(status=Ticket.Status.PENDING, assignee=agent)
    services.assign_ticket(ticket_id=ticket.pk, assignee=other_agent, actor=agent, take_over=True)
    event = _audit(ticket)[-1]
    assert event.changes["assignee"] == ["Ada Lovelace", "Grace Hopper"]
    assert event.summary == "Assigned to Grace Hopper"
    assert told[-1]["changes"] == {"assignee": other_agent, "status": "pending"}
    ticket.refresh_from_db()
    assert ticket.status == "pending"  # only a New ticket is opened by assigning


def test_reassigning_the_same_person_writes_nothing(agent, told):
    ticket = TicketFactory(assignee=agent, status=Ticket.Status.OPEN)
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    assert not _audit(ticket) and not told


def test_unassigning_says_nobody(agent, told):
    ticket = TicketFactory(assignee=agent, status=Ticket.Status.OPEN)
    services.assign_ticket(ticket_id=ticket.pk, assignee=None, actor=agent)
    event = _audit(ticket)[-1]
    assert event.changes["assignee"] == ["Ada Lovelace", None]
    assert event.summary == "Assigned to nobody"


def test_taking_a_ticket_from_its_zendesk_owner_needs_take_over(agent, told):
    ticket = TicketFactory(status=Ticket.Status.OPEN, assignee_name="Alan Turing")
    with pytest.raises(services.OwnedByAnother) as error:
        services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    assert error.value.http_status == 409 and error.value.owner == "Alan Turing"
    assert error.value.ticket.pk == ticket.pk
    assert error.value.extra["owner"] == "Alan Turing"
    assert error.value.extra["version"] == services.version_of(ticket)
    assert not told
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent, take_over=True)
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.assignee_name == ""
    assert _audit(ticket)[-1].changes["assignee"] == ["Alan Turing", "Ada Lovelace"]


def test_a_zendesk_owned_ticket_can_be_unassigned_without_take_over(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN, assignee_name="Alan Turing")
    services.assign_ticket(ticket_id=ticket.pk, assignee=None, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee_name == "" and ticket.assignee is None


# -- stale versions and missing tickets -----------------------------------------------


def test_an_action_on_a_stale_version_is_refused_with_what_changed(agent, other_agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    seen = services.version_of(ticket)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)
    with pytest.raises(services.StaleTicket) as error:
        services.set_status(ticket_id=ticket.pk, status="solved", actor=agent, version=seen)
    stale = error.value
    assert stale.http_status == 409
    assert stale.changes == ["Grace Hopper: Status set to hold"]
    assert stale.extra == {"version": services.version_of(stale.ticket), "changed": stale.changes}
    assert "Grace Hopper: Status set to hold" in stale.message_dict["version"][0]
    ticket.refresh_from_db()
    assert ticket.status == "hold"
    # The current version goes through.
    services.set_status(ticket_id=ticket.pk, status="solved", actor=agent,
                        version=services.version_of(ticket))


def test_a_stale_refusal_does_not_repeat_the_change_the_agent_already_saw(agent, other_agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)
    ticket.refresh_from_db()
    seen = services.version_of(ticket)  # the page shows "on hold"
    services.set_status(ticket_id=ticket.pk, status="pending", actor=other_agent)
    with pytest.raises(services.StaleTicket) as error:
        services.set_status(ticket_id=ticket.pk, status="solved", actor=agent, version=seen)
    assert error.value.changes == ["Grace Hopper: Status set to pending"]


def test_a_stale_version_with_nothing_in_the_trail_blames_zendesk(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    with pytest.raises(services.StaleTicket) as error:
        services.set_status(ticket_id=ticket.pk, status="solved", actor=agent,
                            version="2001-01-01T00:00:00+00:00")
    assert "it was updated in Zendesk" in error.value.message_dict["version"][0]


def test_only_what_happened_after_the_seen_version_is_listed(agent, other_agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)
    # The page was opened after the first change was written.
    seen = _audit(ticket)[-1].created_at.isoformat()
    services.set_status(ticket_id=ticket.pk, status="pending", actor=other_agent)
    with pytest.raises(services.StaleTicket) as error:
        services.set_status(ticket_id=ticket.pk, status="solved", actor=agent, version=seen)
    assert error.value.changes == ["Grace Hopper: Status set to pending"]


def test_a_vanished_ticket_is_refused(agent):
    with pytest.raises(ValidationError) as error:
        services.set_status(ticket_id=999_999, status="open", actor=agent)
    assert "ticket" in error.value.message_dict


# -- routing --------------------------------------------------------------------------


def test_the_person_the_agent_picks_replaces_the_rule(agent, ld_agent, told):
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule, delegate_user=ld_agent,
                          note="  over to you  ")
    ticket.refresh_from_db()
    assert ticket.assignee == ld_agent and ticket.group == team("ld")
    event = _audit(ticket)[-1]
    assert event.changes["rule"] is None and "slack_channel" not in event.changes
    assert event.summary == "Routed to Lin Chen: over to you"
    note = Comment.objects.get(ticket=ticket)
    assert not note.is_public and "Routed to Lin Chen: over to you" in note.body_html
    assert told[-1]["changes"]["comment"]["public"] is False
    assert told[-1]["changes"]["assignee"] == ld_agent


def test_routing_to_a_team_by_rule_names_the_rule_and_unassigns(agent, told):
    rule = RoutingRuleFactory(name="L&D topics", delegate_team=team("ld"))
    ticket = TicketFactory(assignee_name="Alan Turing", status=Ticket.Status.OPEN)
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    ticket.refresh_from_db()
    assert ticket.group == team("ld") and ticket.assignee is None and ticket.assignee_name == ""
    event = _audit(ticket)[-1]
    assert event.changes == {"routed_to": team("ld").name, "rule": "L&D topics"}
    assert event.summary == f"Routed to {team('ld').name} by rule “L&D topics”"
    assert told[-1]["changes"]["group"] == team("ld")


def test_a_person_without_a_team_keeps_the_tickets_group(agent):
    loner = UserFactory(username="loner", first_name="Lone", last_name="Wolf")
    ticket = TicketFactory()
    services.route_ticket(ticket_id=ticket.pk, actor=agent, delegate_user=loner)
    ticket.refresh_from_db()
    assert ticket.assignee == loner and ticket.group == team("education-services")


def test_a_consulting_rule_keeps_the_ticket_with_the_agent_and_asks_the_channel(agent, told,
                                                                               settings):
    from integrations.models import OutboxMessage

    settings.ZENDESK_URL = "https://acme.zendesk.example"  # a local ticket has no Zendesk link

    rule = RoutingRuleFactory(name="Field Enablement", keeps_ticket=True,
                              delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule, note=" partner deal ")
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == "open"
    assert ticket.group == team("education-services")  # the team keeps it
    note = Comment.objects.get(ticket=ticket)
    assert not note.is_public
    assert "Asked #field-enablement-team for help (rule “Field Enablement”): partner deal" in (
        note.body_html)
    event = _audit(ticket)[-1]
    assert event.changes == {"consulted": "#field-enablement-team", "rule": "Field Enablement",
                             "assignee": [None, "Ada Lovelace"]}
    assert told[-1]["changes"]["status"] == "open" and told[-1]["changes"]["assignee"] == agent
    slack = OutboxMessage.objects.get(system="slack", subject=ticket.subject_key)
    assert slack.payload["channel"] == "#field-enablement-team"
    assert slack.payload["text"].endswith("Note from Ada Lovelace: partner deal")
    assert [link["label"] for link in slack.payload["links"]] == ["EduDesk"]


def test_consulting_on_a_ticket_someone_owns_leaves_the_owner(agent, other_agent, told):
    rule = RoutingRuleFactory(keeps_ticket=True, slack_channel="#field-enablement-team")
    ticket = TicketFactory(assignee=other_agent, status=Ticket.Status.PENDING)
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent and ticket.status == "pending"
    assert "assignee" not in _audit(ticket)[-1].changes
    assert "assignee" not in told[-1]["changes"] and "status" not in told[-1]["changes"]


def test_slack_hears_the_ticket_with_its_links(agent, settings):
    from integrations.models import OutboxMessage

    settings.ZENDESK_URL = "https://acme.zendesk.example/"
    settings.EDUDESK_URL = "https://desk.example/"
    rule = RoutingRuleFactory(delegate_team=team("field-enablement"), slack_channel="#fe")
    ticket = TicketFactory(zendesk_id=4242, subject="Voucher")
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    payload = OutboxMessage.objects.get(system="slack").payload
    assert payload["links"] == [
        {"url": "https://acme.zendesk.example/agent/tickets/4242", "label": "Zendesk"},
        {"url": f"https://desk.example/tickets/{ticket.pk}/", "label": "EduDesk"}]
    assert payload["text"] == (f"Ticket #{ticket.number} “Voucher” needs you "
                               f"({ticket.requester_email}).")
    assert _audit(ticket)[-1].changes["slack_channel"] == "#fe"


# -- after commit ---------------------------------------------------------------------


def test_an_action_refreshes_the_view_counts_after_commit(agent, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    ticket = TicketFactory(status=Ticket.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
        assert cache.get("tickets:generation") is None  # not before the commit
    assert cache.get("tickets:generation") == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(ticket_id=ticket.pk, status="open", actor=agent)
    assert cache.get("tickets:generation") == 3


def test_a_cache_outage_after_commit_does_not_fail_the_action(agent, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == "hold"


def test_a_stale_refusal_lists_the_five_latest_changes_at_most(agent, other_agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    seen = services.version_of(ticket)
    for status in ["hold", "pending", "open", "hold", "pending", "open"]:
        services.set_status(ticket_id=ticket.pk, status=status, actor=other_agent)
    with pytest.raises(services.StaleTicket) as error:
        services.set_status(ticket_id=ticket.pk, status="solved", actor=agent, version=seen)
    assert len(error.value.changes) == 5
    assert error.value.ticket.pk == ticket.pk


# -- who wrote it, and small refusals -------------------------------------------------


def test_every_comment_an_action_writes_names_its_author(agent, other_agent):
    rule = RoutingRuleFactory(delegate_team=team("ld"))
    consult = RoutingRuleFactory(keeps_ticket=True, slack_channel="#fe")
    macro = MacroFactory(comment="Hello", comment_is_public=True)
    tickets = [TicketFactory() for _ in range(4)]
    services.add_comment(ticket_id=tickets[0].pk, actor=agent, body="Hi", public=True)
    services.apply_macro(ticket_id=tickets[1].pk, macro=macro, actor=agent)
    services.route_ticket(ticket_id=tickets[2].pk, actor=agent, rule=rule)
    services.route_ticket(ticket_id=tickets[3].pk, actor=agent, rule=consult)
    comments = Comment.objects.filter(ticket__in=tickets)
    assert comments.count() == 4
    assert {(c.author_id, c.author_name) for c in comments} == {(agent.pk, "Ada Lovelace")}
    macro_event = _audit(tickets[1])[-1]
    assert macro_event.changes["comment"] == Comment.objects.get(ticket=tickets[1]).pk


def test_an_unknown_status_is_named_as_unknown(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    with pytest.raises(ValidationError, match="Unknown status 'bogus'"):
        services.set_status(ticket_id=ticket.pk, status="bogus", actor=agent)


def test_assigning_a_new_unowned_ticket_has_no_before(agent):
    ticket = TicketFactory()
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    assert _audit(ticket)[-1].changes["assignee"] == [None, "Ada Lovelace"]


def test_unassigning_an_unassigned_ticket_writes_nothing(agent, told):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    services.assign_ticket(ticket_id=ticket.pk, assignee=None, actor=agent)
    assert not _audit(ticket) and not told


def test_a_closed_ticket_cannot_be_routed(agent, ld_agent):
    ticket = TicketFactory(status=Ticket.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        services.route_ticket(ticket_id=ticket.pk, actor=agent, delegate_user=ld_agent)
    ticket.refresh_from_db()
    assert ticket.assignee is None and not Comment.objects.exists()


def test_a_picked_team_wins_over_the_picked_persons_own_team(agent, ld_agent):
    ticket = TicketFactory()
    services.route_ticket(ticket_id=ticket.pk, actor=agent, delegate_user=ld_agent,
                          delegate_team=team("field-enablement"))
    ticket.refresh_from_db()
    assert ticket.assignee == ld_agent and ticket.group == team("field-enablement")


def test_a_preview_with_only_tags_is_not_empty(agent):
    ticket = TicketFactory()
    macro = MacroFactory(comment="", set_status="", add_tags="vip")
    preview = services.preview_macro(ticket=ticket, macro=macro, actor=agent)
    assert not preview.is_empty
    assert services.preview_macro(ticket=ticket, macro=MacroFactory(
        comment="", set_status="", add_tags=""), actor=agent).is_empty
