"""Inbox fixtures: the group's mailbox."""

import pytest

from inbox.models import Mailbox
from tests.inbox.factories import mailbox


@pytest.fixture
def group_mailbox(db) -> Mailbox:
    return mailbox()
