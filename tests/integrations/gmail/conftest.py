"""A seeded fake Gmail on a free port, and a client for its mailbox."""

from collections.abc import Iterator

import pytest

from integrations.gmail.client import GmailClient
from integrations.gmail.fake import FakeGmail

TOKEN = "ya29.test-access-token"


@pytest.fixture
def fake_gmail() -> Iterator[FakeGmail]:
    fake = FakeGmail(token=TOKEN)
    fake.start(port=0)
    yield fake
    fake.stop()


@pytest.fixture
def gmail(fake_gmail: FakeGmail) -> Iterator[GmailClient]:
    with GmailClient(fake_gmail.base_url, TOKEN) as client:
        yield client


@pytest.fixture
def configured(settings, fake_gmail: FakeGmail) -> FakeGmail:
    """EduDesk's settings pointing at the fake: the member mailbox and the group."""
    from integrations import retry
    from integrations.gmail.fake import GROUP, MAILBOX

    settings.GMAIL_API_URL = fake_gmail.base_url
    settings.GMAIL_MAILBOX = MAILBOX
    settings.GMAIL_GROUP_ADDRESS = GROUP
    settings.GMAIL_GROUP_NAME = "LevelUp"
    settings.GMAIL_OAUTH_TOKEN = TOKEN
    with retry.overridden(base_seconds=0.01):
        yield fake_gmail
