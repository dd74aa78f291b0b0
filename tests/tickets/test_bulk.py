"""Bulk actions: each selected ticket through its own service and outbox row, every outcome told."""

from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from integrations.models import OutboxMessage
from integrations.zendesk import sync
from people import audit
from tests.factories import MacroFactory, TicketFactory
from tests.integrations.zendesk.conftest import fake_zendesk, open_ids  # noqa: F401 - the fixture
from tests.integrations.zendesk.test_outbound import deliver_all
from tickets import bulk, services
from tickets.models import BulkAction, Ticket

pytestmark = pytest.mark.django_db


def _outcomes(action: BulkAction) -> list[tuple[int, str]]:
    return [(entry["ticket"], entry["outcome"]) for entry in action.results]


def test_mixed_outcomes_each_through_its_own_service_and_outbox(fake_zendesk, agent):  # noqa: F811
    sync.run_sync()
    plain, already, closed, moved, stale = [
        Ticket.objects.get(zendesk_id=z) for z in open_ids(fake_zendesk, 20)
        if fake_zendesk.tickets[z].status != "pending"][:5]
    Ticket.objects.filter(pk=already.pk).update(status="pending")
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    # Someone changes this one in Zendesk after our sync: its PUT is refused, not forced.
    fake_zendesk.upstream_update(moved.zendesk_id, priority="urgent")
    old_version = services.version_of(stale)
    services.set_status(ticket_id=stale.pk, status="hold", actor=agent)

    action = bulk.run_bulk_action(
        actor=agent, change=bulk.status_change(status="pending", actor=agent),
        selection=[(plain.pk, None), (already.pk, None), (closed.pk, None), (moved.pk, None),
                   (stale.pk, old_version), (987654, None)])

    assert _outcomes(action) == [
        (plain.pk, "changed"), (already.pk, "unchanged"), (closed.pk, "skipped"),
        (moved.pk, "changed"), (stale.pk, "skipped"), (987654, "skipped")]
    reasons = [entry["reason"] for entry in action.results]
    assert "closed and cannot be changed" in reasons[2]
    assert reasons[4].startswith("Changed since the list was loaded (Ada Lovelace: Status set")
    assert reasons[5] == "Not a ticket you can reach (or no longer there)."
    assert action.results[0]["number"] == plain.zendesk_id
    # One outbox row and one audit line per changed ticket, none for the others.
    for ticket, entry in ((plain, action.results[0]), (moved, action.results[3])):
        rows = OutboxMessage.objects.filter(subject=ticket.subject_key, system="zendesk")
        assert [r.pk for r in rows] == entry["outbox"]
        assert rows.get().payload["ticket"] == {"status": "pending"}
        assert audit.history(ticket.subject_key).filter(verb="status").count() == 1
    assert not OutboxMessage.objects.filter(subject__in=[already.subject_key,
                                                         closed.subject_key]).exists()
    before = bulk.report(action)
    assert before.is_settling and before.counts["queued"] == 2

    deliver_all()

    after = bulk.report(action)
    assert not after.is_settling
    assert after.counts == {"changed": 2, "unchanged": 1, "skipped": 3, "queued": 0,
                            "delivered": 1, "failed": 1}
    delivered, refused = after.rows[0]["delivery"], after.rows[3]["delivery"]
    assert delivered == {"state": "delivered", "text": "Delivered to Zendesk"}
    message = OutboxMessage.objects.get(subject=moved.subject_key)
    assert refused["state"] == "failed" and refused["text"] == f"Conflict: {message.last_error}"
    assert fake_zendesk.get_ticket(plain.zendesk_id)["status"] == "pending"
    assert fake_zendesk.get_ticket(moved.zendesk_id)["status"] != "pending"


def test_assigning_asks_before_taking_tickets_from_their_owners(agent):
    free = TicketFactory(status="open")
    owned = TicketFactory(status="open", assignee_name="Alan Turing")
    selection = [(free.pk, None), (owned.pk, None)]

    first = bulk.run_bulk_action(actor=agent, selection=selection,
                                 change=bulk.assign_change(assignee=agent, actor=agent))
    assert _outcomes(first) == [(free.pk, "changed"), (owned.pk, "skipped")]
    assert first.results[1]["reason"].startswith("Belongs to Alan Turing; tick “take over”")
    owned.refresh_from_db()
    assert owned.assignee is None and owned.assignee_name == "Alan Turing"

    second = bulk.run_bulk_action(
        actor=agent, selection=selection,
        change=bulk.assign_change(assignee=agent, actor=agent, take_over=True))
    assert _outcomes(second) == [(free.pk, "unchanged"), (owned.pk, "changed")]
    owned.refresh_from_db()
    assert owned.assignee == agent and first.summary == "Assigned to Ada Lovelace"


def test_a_macro_is_applied_to_each_ticket_with_its_own_placeholders(agent):
    first = TicketFactory(status="open", requester_name="Leila Karimi")
    second = TicketFactory(status="open", requester_name="Tariq Aziz")
    macro = MacroFactory()
    action = bulk.run_bulk_action(actor=agent, change=bulk.macro_change(macro=macro, actor=agent),
                                  selection=[(first.pk, None), (second.pk, None)])
    assert _outcomes(action) == [(first.pk, "changed"), (second.pk, "changed")]
    assert "Hi Leila" in first.comments.get().body_html
    assert "Hi Tariq" in second.comments.get().body_html
    # Not Zendesk tickets: nothing to send, and the page says so instead of waiting forever.
    assert bulk.report(action).rows[0]["delivery"]["state"] == "delivered"
    assert not bulk.report(action).is_settling


def test_only_reachable_tickets_change(ld_agent):
    theirs = TicketFactory(status="pending")  # Education Services', outside L&D's reach
    action = bulk.run_bulk_action(actor=ld_agent, selection=[(theirs.pk, None)],
                                  change=bulk.status_change(status="solved", actor=ld_agent))
    assert _outcomes(action) == [(theirs.pk, "skipped")]
    assert action.results[0]["subject"] == ""  # its subject is not shown either
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_parameters_are_checked_before_any_ticket_changes(agent):
    with pytest.raises(ValidationError, match="open, pending, hold or solved"):
        bulk.status_change(status="closed", actor=agent)
    with pytest.raises(ValidationError, match="active macro"):
        bulk.macro_change(macro=MacroFactory(active=False), actor=agent)
    with pytest.raises(ValidationError, match="active agent"):
        bulk.assign_change(assignee=None, actor=agent)


@pytest.mark.parametrize("values", [["abc"], ["12", "1e9"], ["²"], ["-3"], ["12@yesterday"],
                                    ["12@2026-01-01T10:00:00"], [""], []])
def test_garbage_selections_are_refused_as_a_whole(values):
    with pytest.raises(ValidationError):
        bulk.parse_selection(values)


def test_selection_reads_versions_in_any_zone_and_caps_the_count():
    ticket = TicketFactory()
    shown = ticket.updated_at.astimezone(ZoneInfo("America/Denver")).isoformat()
    assert bulk.parse_selection([f"{ticket.pk}@{shown}", str(ticket.pk), "7"]) == [
        (ticket.pk, services.version_of(ticket)), (7, None)]
    with pytest.raises(ValidationError, match="at most 100 tickets"):
        bulk.parse_selection([str(n) for n in range(1, 102)])


def test_assign_and_macro_refuse_a_ticket_changed_since_the_list_was_loaded(agent, other_agent):
    assign_me, macro_me = TicketFactory(), TicketFactory()
    seen = {t.pk: services.version_of(t) for t in (assign_me, macro_me)}
    for ticket in (assign_me, macro_me):
        services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)

    assigned = bulk.run_bulk_action(actor=agent, change=bulk.assign_change(
        assignee=agent, actor=agent), selection=[(assign_me.pk, seen[assign_me.pk])])
    applied = bulk.run_bulk_action(actor=agent, change=bulk.macro_change(
        macro=MacroFactory(), actor=agent), selection=[(macro_me.pk, seen[macro_me.pk])])

    assert _outcomes(assigned) == [(assign_me.pk, "skipped")]
    assert _outcomes(applied) == [(macro_me.pk, "skipped")]
    assert assigned.action == "assign" and applied.action == "macro"
    assign_me.refresh_from_db()
    assert assign_me.assignee is None


def test_one_bad_version_refuses_the_whole_selection():
    with pytest.raises(ValidationError) as refused:
        bulk.parse_selection(["5@2026-01-01T00:00:00+00:00", "6@yesterday"])
    assert "'6@yesterday'" in refused.value.messages[0]


def test_the_bar_offers_active_agents_other_than_me(agent, other_agent, ld_agent):
    from people.models import AgentProfile
    from tests.factories import UserFactory, team

    gone = UserFactory(username="gone", is_active=False, team=team("education-services"))
    outsider = UserFactory(username="no-profile")  # a login, but no agent
    assert AgentProfile.objects.filter(user=gone).exists()
    assert not AgentProfile.objects.filter(user=outsider).exists()
    offered = set(bulk.bar_choices(agent)["agents"])
    assert other_agent in offered and ld_agent in offered
    assert agent not in offered and gone not in offered and outsider not in offered


def test_a_delivery_being_retried_says_why(agent):
    ticket = TicketFactory(zendesk_id=424242)
    action = bulk.run_bulk_action(actor=agent, change=bulk.status_change(
        status="pending", actor=agent), selection=[(ticket.pk, None)])
    OutboxMessage.objects.filter(pk__in=action.results[0]["outbox"]).update(
        last_error="HTTP 503: Zendesk is down for maintenance")
    row = bulk.report(action).rows[0]
    assert row["delivery"] == {"state": "queued", "text": "Queued (retrying after: HTTP 503: "
                                                          "Zendesk is down for maintenance)"}


def test_garbage_is_named_briefly_and_ids_beyond_any_ticket_are_garbage():
    with pytest.raises(ValidationError) as refused:
        bulk.parse_selection(["9" * 19])  # past the database's integers: never a 500
    assert refused.value.messages[0].startswith("These are not tickets of the list")
    with pytest.raises(ValidationError) as refused:
        bulk.parse_selection(["a" * 60, "b", "c", "d"])
    message = refused.value.messages[0]
    assert repr("a" * 40) in message and "a" * 41 not in message
    assert "'c'" in message and "'d'" not in message  # three are enough to see the mistake
