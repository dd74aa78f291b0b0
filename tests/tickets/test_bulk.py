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
