"""The fake's search: OR as Gmail reads it, and rfc822msgid:, which the adapter relies on."""

from integrations.gmail.fake import GROUP, MAILBOX


def ids(gmail, q: str) -> set[str]:
    return {m["id"] for m in gmail.list_messages(q=q)}


def test_or_joins_its_neighbours_before_the_implicit_and(fake_gmail, gmail):
    to_group, from_group = ids(gmail, f"to:{GROUP}"), ids(gmail, f"from:{GROUP}")
    assert to_group and from_group - to_group  # our replies are from the group, to people
    assert ids(gmail, f"to:{GROUP} OR from:{GROUP}") == to_group | from_group
    assert ids(gmail, f"subject:badge to:{GROUP} OR from:{GROUP}") == ids(
        gmail, "subject:badge") & (to_group | from_group)
    assert ids(gmail, f"to:{GROUP} from:{GROUP}") == to_group & from_group
    assert ids(gmail, f"deliveredto:{MAILBOX} OR subject:nothing-like-this") == ids(
        gmail, f"deliveredto:{MAILBOX}")


def test_rfc822msgid_finds_a_message_by_its_message_id(fake_gmail, gmail):
    message = next(iter(fake_gmail.mailbox.messages.values()))
    wanted = str(message.parsed["Message-ID"]).strip("<>")
    assert ids(gmail, f"rfc822msgid:{wanted}") == {message.id}
    assert ids(gmail, f"rfc822msgid:<{wanted}>") == {message.id}
    assert ids(gmail, "rfc822msgid:nobody@nowhere.example") == set()
