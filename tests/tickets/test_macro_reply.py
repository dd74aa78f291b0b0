"""A macro fills the reply form; the agent edits it and submits it as one change."""

import re

import pytest

from people import audit
from tests.factories import MacroFactory, TicketFactory, team
from tickets import services
from tickets.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def macro(other_agent):
    return MacroFactory(title="Certification > Badge reissued",
                        comment="Hi {{ticket.requester.first_name}}, your badge is reissued.",
                        set_status="pending", add_tags="badge_reissued", remove_tags="urgent",
                        set_group=team("ld"), set_assignee=other_agent)


def test_choosing_a_macro_fills_the_reply_box_and_its_fields(agent_client, macro):
    ticket = TicketFactory(requester_name="Leila Karimi", tags=" urgent ")

    html = agent_client.get(f"/tickets/{ticket.pk}/macro/preview/?macro={macro.pk}").content.decode()

    assert re.search(r'<textarea name="body"[^>]*>Hi Leila, your badge is reissued\.</textarea>',
                     html)
    assert 'value="public" checked' in html
    assert re.search(r'class="status-btn pending primary"[^>]*>Submit as Pending', html)
    assert 'name="macro_tags_add" value="badge_reissued"' in html
    assert 'name="macro_tags_remove" value="urgent"' in html
    assert 'name="macro_group" value="1" checked> move to group L&amp;D' in html
    assert 'name="macro_assignee" value="1" checked> assign to Grace Hopper' in html
    assert Comment.objects.count() == 0  # choosing changes nothing


def test_without_javascript_the_page_itself_fills_the_reply(agent_client, macro):
    ticket = TicketFactory(requester_name="Leila Karimi")
    html = agent_client.get(f"/tickets/{ticket.pk}/?macro={macro.pk}").content.decode()
    assert ">Hi Leila, your badge is reissued.</textarea>" in html
    assert f'<option value="{macro.pk}" selected>' in html


def test_the_edited_reply_and_the_kept_fields_go_as_one_change(agent_client, agent, macro):
    ticket = TicketFactory(requester_name="Leila Karimi", tags=" urgent vip ")
    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "Hi Leila, your badge is reissued; check your spam folder too.",
        "kind": "public", "submit_as": "pending", "macro": macro.pk,
        "macro_tags_add": "badge_reissued followup", "macro_tags_remove": "urgent",
        "macro_group": "1", "version": services.version_of(ticket)})  # assignee unticked
    assert response.status_code == 302

    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.group == team("ld")
    assert ticket.tag_list == ["badge_reissued", "followup", "vip"]
    assert ticket.assignee == agent  # whoever answers owns it; the macro's Grace was unticked
    comment = Comment.objects.get(ticket=ticket)
    assert "check your spam folder too" in comment.body_html and comment.is_public
    lines = list(audit.history(ticket.subject_key))
    assert len(lines) == 1
    assert lines[0].summary == ("Public reply from macro Certification > Badge reissued, "
                                "submitted as pending")
    assert lines[0].changes["macro"] == macro.title and lines[0].changes["group"] == "L&D"


def test_a_stale_macro_reply_is_refused_and_the_edits_are_kept(agent_client, agent, macro,
                                                                other_agent):
    ticket = TicketFactory(requester_name="Leila Karimi", status="open")
    seen = services.version_of(ticket)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)

    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "My edited text", "kind": "public", "submit_as": "pending", "macro": macro.pk,
        "macro_tags_add": "mine", "macro_tags_remove": "", "version": seen}, follow=True)

    html = response.content.decode()
    assert "changed since you opened it" in html
    assert ">My edited text</textarea>" in html
    assert 'name="macro_tags_add" value="mine"' in html
    assert 'name="macro_group" value="1" >' in html  # unticked stays unticked
    ticket.refresh_from_db()
    assert ticket.status == "hold" and not Comment.objects.exists()


def test_a_placeholder_edudesk_cannot_fill_never_reaches_the_customer(agent_client, macro):
    """Local macros refuse them when saved (test_admin); an imported one may hold Zendesk's."""
    imported = MacroFactory(title="Zendesk one", zendesk_id=4999,
                            comment="Hello {{ticket.organization.name}} team")
    ticket = TicketFactory()
    html = agent_client.get(f"/tickets/{ticket.pk}/macro/preview/?macro={imported.pk}"
                            ).content.decode()
    assert "Hello {{ticket.organization.name}} team</textarea>" in html

    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "Hello {{ticket.organization.name}} team", "kind": "public",
        "macro": imported.pk}, follow=True)

    assert "still holds {{ticket.organization.name}}" in response.content.decode()
    assert not Comment.objects.exists()


def test_bad_tags_in_a_macro_reply_are_refused_with_a_message(agent_client, macro):
    ticket = TicketFactory()
    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "Hi", "kind": "public", "macro": macro.pk, "macro_tags_add": "Not<ok>"},
        follow=True)
    assert "Tags are lower-case words" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_macro_assignee_replaces_a_zendesk_owner_without_login(agent_client, macro):
    ticket = TicketFactory(assignee_name="Alan Turing")
    agent_client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "Hi", "kind": "internal", "macro": macro.pk, "macro_assignee": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee.username == "grace" and ticket.assignee_name == ""


def test_a_macro_cannot_both_name_an_assignee_and_assign_to_whoever_applies_it(agent):
    from django.core.exceptions import ValidationError

    macro = MacroFactory(set_assignee=agent, assign_to_actor=True)
    with pytest.raises(ValidationError) as refused:
        macro.full_clean()
    assert "assign_to_actor" in refused.value.message_dict


def test_a_reply_from_a_switched_off_macro_is_refused(agent, macro):
    from django.core.exceptions import ValidationError

    ticket = TicketFactory()
    macro.active = False
    macro.save()
    with pytest.raises(ValidationError) as refused:
        services.add_comment(ticket_id=ticket.pk, actor=agent, public=True, body="Hi.",
                             macro=macro)
    assert refused.value.message_dict == {"macro": ["This macro is switched off."]}
    assert not Comment.objects.exists()


def test_an_assign_to_me_macro_plans_the_agent_who_applies_it(agent, other_agent):
    take_it = MacroFactory(title="Take it", comment="", set_status="", add_tags="",
                           assign_to_actor=True)
    theirs = TicketFactory(assignee=other_agent)
    assert services.preview_macro(ticket=theirs, macro=take_it, actor=agent).assignee == agent
    mine = TicketFactory(assignee=agent)
    assert services.preview_macro(ticket=mine, macro=take_it, actor=agent).is_empty

    services.apply_macro(ticket_id=theirs.pk, macro=take_it, actor=agent)
    theirs.refresh_from_db()
    assert theirs.assignee == agent
