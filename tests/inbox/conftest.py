"""Inbox fixtures: the group's mailbox."""

import pytest

from inbox.models import Mailbox
from people import roles
from tests.factories import UserFactory
from tests.inbox.factories import mailbox, rotation_with


@pytest.fixture
def group_mailbox(db) -> Mailbox:
    return mailbox()


@pytest.fixture
def lin(db):
    return UserFactory(username="linh", first_name="Linh", last_name="Tran", role=roles.AGENT)


@pytest.fixture
def rotation(agent, other_agent, lin):
    """A weekly rotation of three, planned three weeks ahead."""
    rotation = rotation_with(agent, other_agent, lin)
    rotation.weeks_ahead = 3
    rotation.save()
    return rotation
