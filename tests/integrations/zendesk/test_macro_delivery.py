"""Macros against the fake Zendesk: who authors their replies, one menu entry each, and what
the ticket page shows when Zendesk refuses a change."""

from integrations.models import OutboxMessage
from integrations.zendesk import sync
from tickets import selectors, services
from tickets.models import Comment, Macro

from .test_outbound import deliver_all, synced_ticket

BADGE_REISSUE = 4002  # the fake's "Badge Reissue": a comment, status pending, a tag


def test_an_imported_macros_reply_is_authored_by_the_agent(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=BADGE_REISSUE)

    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    deliver_all()

    last = fake_zendesk.get_comments(ticket.zendesk_id)[-1]
    assert last["body"].startswith("Hi ") and last["author_id"] == 1001  # Ada, not the API user


def test_an_edited_macro_reply_reaches_zendesk_as_the_agent_wrote_it(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=BADGE_REISSUE)

    services.add_comment(ticket_id=ticket.pk, actor=agent, public=True, status="pending",
                         body="Hi there, reissued; it may sit in your spam folder.",
                         macro=macro, macro_changes=services.MacroChanges(
                             tags_added=["reissue_checked"]),  # the macro's tag replaced
                         version=services.version_of(ticket))
    deliver_all()

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "sent"
    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    last = fake_zendesk.get_comments(ticket.zendesk_id)[-1]
    assert "may sit in your spam folder" in last["body"] and last["author_id"] == 1001
    assert upstream["status"] == "pending"
    assert "reissue_checked" in upstream["tags"] and "badge_reissued" not in upstream["tags"]
    assert len(fake_zendesk.applied_writes) == 1
    local = Comment.objects.filter(ticket=ticket).order_by("-pk").first()
    assert local.zendesk_id == last["id"]


def test_the_same_macro_never_appears_twice_in_the_menu(fake_zendesk, agent):
    local = Macro.objects.get(title="General > Forms > Incorrect Form Used")  # seeded locally

    sync.run_sync()
    sync.run_sync(full=True)  # and imported again

    titles = [m.title for m in selectors.active_macros()]
    assert len(titles) == len(set(titles))
    assert not any("Incorrect Form Used (Zendesk)" in t for t in titles)
    local.refresh_from_db()
    assert local.zendesk_id == 4001 and local.is_read_only  # Zendesk's copy took it over
    assert Macro.objects.filter(title__icontains="Incorrect Form Used").count() == 1


def test_after_a_refusal_the_page_shows_what_zendesk_holds(fake_zendesk, agent, agent_client):
    ticket = synced_ticket(fake_zendesk)
    fake_zendesk.upstream_update(ticket.zendesk_id, status="solved")
    fake_zendesk.upstream_update(ticket.zendesk_id, status="closed")
    services.set_status(ticket_id=ticket.pk, status="hold", actor=agent)
    deliver_all()

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "conflict"
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert ('<dd id="status"><span class="status closed">Closed</span> <span '
            'class="refused-change" role="note">(Zendesk) — your change to Hold was '
            'refused: HTTP 409') in page

    # Sent anyway on top of Zendesk's version: Zendesk refuses a closed ticket (422).
    agent_client.post(f"/tickets/{ticket.pk}/deliveries/{message.pk}/retry/")
    deliver_all()
    message.refresh_from_db()
    assert message.state == "failed" and "closed prevents ticket update" in message.last_error
    assert message.response["refused"]["upstream"]["status"] == "closed"
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Closed</span> <span class=\"refused-change\" role=\"note\">(Zendesk) — your change " \
           "to Hold was refused: HTTP 422: RecordInvalid" in page
    assert "Status: closed prevents ticket update" in page
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "closed"


def test_a_refusal_stops_showing_once_a_later_change_went_through(fake_zendesk, agent,
                                                                   agent_client):
    ticket = synced_ticket(fake_zendesk)
    fake_zendesk.upstream_update(ticket.zendesk_id, status="hold")
    services.set_status(ticket_id=ticket.pk, status="solved", actor=agent)
    deliver_all()
    assert "was refused" in agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    agent_client.post(f"/tickets/{ticket.pk}/deliveries/{message.pk}/retry/")
    deliver_all()

    assert "was refused" not in agent_client.get(f"/tickets/{ticket.pk}/").content.decode()


TAKE_IT = 4100


def _add_take_it_macro(fake) -> None:
    """Zendesk's usual "take it" macro: assign to the current user, signed by them."""
    first = fake.macros[4001]
    fake.macros[TAKE_IT] = {
        **first, "id": TAKE_IT, "url": first["url"].replace("4001", str(TAKE_IT)),
        "title": "Education Services::Take it", "raw_title": "Education Services::Take it",
        "actions": [
            {"field": "assignee_id", "value": "current_user"},
            {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, "
                                                "{{current_user.first_name}} here: I am on it."},
            {"field": "status", "value": "open"}]}


def test_an_assign_to_me_macro_assigns_and_signs_as_the_agent_not_the_api_user(fake_zendesk,
                                                                                 agent):
    _add_take_it_macro(fake_zendesk)
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=TAKE_IT)
    assert macro.assign_to_actor and macro.set_assignee is None

    assert services.preview_macro(ticket=ticket, macro=macro, actor=agent).assignee == agent \
        or ticket.assignee == agent
    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    deliver_all()

    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    last = fake_zendesk.get_comments(ticket.zendesk_id)[-1]
    assert upstream["assignee_id"] == 1001  # Ada, not the integration account
    assert "Ada here: I am on it." in last["body"] and last["author_id"] == 1001
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_a_macro_holding_what_only_zendesk_fills_is_rendered_there_and_signed_by_the_agent(
        fake_zendesk, agent):
    fake_zendesk.macros[BADGE_REISSUE]["actions"][0]["value"] = (
        "Hi {{ticket.requester.first_name}}, your badge for “{{ticket.title}}” is reissued.")
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=BADGE_REISSUE)

    services.apply_macro(ticket_id=ticket.pk, macro=macro, actor=agent)
    deliver_all()

    last = fake_zendesk.get_comments(ticket.zendesk_id)[-1]
    assert last["body"].startswith("Hi ") and f"“{ticket.subject}” is reissued" in last["body"]
    assert "{{" not in last["body"]  # never a placeholder to the customer
    assert last["author_id"] == 1001  # the agent, though Zendesk rendered the text


def test_a_macro_that_only_sets_fields_goes_out_without_a_comment(fake_zendesk, agent):
    fake_zendesk.macros[4003]["actions"] = [{"field": "status", "value": "pending"}]
    ticket = synced_ticket(fake_zendesk)
    comments = len(fake_zendesk.get_comments(ticket.zendesk_id))

    services.apply_macro(ticket_id=ticket.pk, macro=Macro.objects.get(zendesk_id=4003),
                         actor=agent)
    deliver_all()

    assert OutboxMessage.objects.get(subject=ticket.subject_key).state == "sent"
    assert fake_zendesk.get_ticket(ticket.zendesk_id)["status"] == "pending"
    assert len(fake_zendesk.get_comments(ticket.zendesk_id)) == comments


def test_an_edited_reply_takes_none_of_the_macros_tags_the_agent_dropped(fake_zendesk, agent):
    ticket = synced_ticket(fake_zendesk)
    macro = Macro.objects.get(zendesk_id=BADGE_REISSUE)

    services.add_comment(ticket_id=ticket.pk, actor=agent, public=True, status="open",
                         body="Hi, looking into your badge.", macro=macro,
                         macro_changes=services.MacroChanges())  # its tag unticked
    deliver_all()

    upstream = fake_zendesk.get_ticket(ticket.zendesk_id)
    assert "badge_reissued" not in upstream["tags"] and upstream["status"] == "open"
