"""Ticket changes: each one whole or not at all, each one audited."""

import pytest
from django.core.exceptions import ValidationError

from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.factories import MacroFactory, RoutingRuleFactory, TicketFactory, team
from tickets import services
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def test_assign_opens_a_new_ticket_and_audits_it(agent):
    ticket = TicketFactory()
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == Ticket.Status.OPEN
    event = AuditEvent.objects.get(subject=ticket.subject_key)
    assert event.verb == "assign" and event.actor == agent


def test_public_reply_with_submit_as_pending(agent):
    ticket = TicketFactory()
    comment = services.add_comment(ticket_id=ticket.pk, actor=agent, body="Hello <script>x</script>",
                                   public=True, status="pending")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.assignee == agent  # whoever answers owns it
    assert "<script>" not in comment.body_html and "&lt;script&gt;" in comment.body_html
    assert comment.is_public


def test_internal_note_leaves_assignee_alone(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    services.add_comment(ticket_id=ticket.pk, actor=agent, body="FYI", public=False)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert Comment.objects.get(ticket=ticket).is_public is False


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_empty_reply_is_refused_and_changes_nothing(agent, body):
    ticket = TicketFactory()
    with pytest.raises(ValidationError) as error:
        services.add_comment(ticket_id=ticket.pk, actor=agent, body=body, public=True,
                             status="solved")
    assert "body" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and not Comment.objects.exists()


@pytest.mark.parametrize("status", ["new", "closed", "archived", ""])
def test_invalid_status_changes_are_refused(agent, status):
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    with pytest.raises(ValidationError) as error:
        services.set_status(ticket_id=ticket.pk, status=status, actor=agent)
    assert "status" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert not AuditEvent.objects.exists()


def test_reply_with_bad_status_keeps_no_comment(agent):
    ticket = TicketFactory()
    with pytest.raises(ValidationError):
        services.add_comment(ticket_id=ticket.pk, actor=agent, body="hi", public=True,
                             status="closed")
    assert not Comment.objects.exists()


def test_closed_ticket_refuses_every_action(agent):
    ticket = TicketFactory(status=Ticket.Status.CLOSED)
    macro = MacroFactory()
    actions = [
        lambda: services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent),
        lambda: services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent),
        lambda: services.add_comment(ticket_id=ticket.pk, actor=agent, body="x", public=True),
        lambda: services.set_status(ticket_id=ticket.pk, status="open", actor=agent),
    ]
    for action in actions:
        with pytest.raises(ValidationError, match="closed"):
            action()
    assert not Comment.objects.exists() and not AuditEvent.objects.exists()


def test_macro_preview_matches_what_apply_does(agent):
    ticket = TicketFactory(requester_name="Amara Okafor", tags=Ticket.pack_tags(["old", "x"]))
    macro = MacroFactory(add_tags="answered", remove_tags="old", set_group=team("ld"))
    preview = services.preview_macro(ticket=ticket, macro=macro, actor=agent)
    assert "Hi Amara, thanks! Ada" in preview.comment_html
    assert preview.status == "pending"
    assert preview.tags_added == ["answered"] and preview.tags_removed == ["old"]
    ticket.refresh_from_db()
    assert ticket.status == "new"  # preview wrote nothing
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket.tag_list == ["answered", "x"]
    assert ticket.group == team("ld")
    assert "Hi Amara, thanks! Ada" in Comment.objects.get(ticket=ticket).body_html
    assert AuditEvent.objects.get(subject=ticket.subject_key).changes["macro"] == macro.title


def test_placeholders_unknown_are_left_visible(agent):
    ticket = TicketFactory()
    text = services.render_placeholders("{{ticket.id}} {{nope.field}}", ticket=ticket, actor=agent)
    assert text == f"{ticket.pk} {{{{nope.field}}}}"


def test_route_by_rule_sets_team_notes_and_queues_slack(agent):
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule, note="Partner asks")
    ticket.refresh_from_db()
    assert ticket.group == team("field-enablement") and ticket.assignee is None
    note = Comment.objects.get(ticket=ticket)
    assert not note.is_public and "Field Enablement" in note.body_html
    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.system == "slack" and message.payload["channel"] == "#field-enablement-team"
    assert "Partner asks" in message.payload["text"]


def test_route_to_a_person_takes_their_team(agent, ld_agent):
    ticket = TicketFactory()
    services.route_ticket(ticket_id=ticket.pk, actor=agent, delegate_user=ld_agent)
    ticket.refresh_from_db()
    assert ticket.assignee == ld_agent and ticket.group == team("ld")
    assert not OutboxMessage.objects.exists()


def test_route_without_delegate_is_refused(agent):
    ticket = TicketFactory()
    with pytest.raises(ValidationError) as error:
        services.route_ticket(ticket_id=ticket.pk, actor=agent)
    assert "delegate" in error.value.message_dict


def test_seeded_rules_suggest_the_handbooks_delegates():
    from tickets.selectors import routing_rules, suggested_rule

    rules = routing_rules()
    sales = TicketFactory(topic="sales")
    teamops = TicketFactory(topic="training", tags=Ticket.pack_tags(["teamops"]))
    pricing = TicketFactory(topic="other")
    assert suggested_rule(sales, rules).slack_channel == "#field-enablement-team"
    assert suggested_rule(teamops, rules).delegate_team == team("ld")
    assert suggested_rule(pricing, rules) is None


def test_a_failure_late_in_an_action_leaves_no_trace(agent, monkeypatch):
    """The outbox write fails after the note and the group change: all of it rolls back."""
    from integrations import outbox

    monkeypatch.setattr(outbox, "_DELIVERERS", {})  # enqueue() now refuses "slack"
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    with pytest.raises(ValueError, match="No deliverer"):
        services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    ticket.refresh_from_db()
    assert ticket.group == team("education-services")
    assert not Comment.objects.exists() and not AuditEvent.objects.exists()
    assert not OutboxMessage.objects.exists()
