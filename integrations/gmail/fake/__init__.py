"""A loopback fake of the Gmail API v1 (messages, threads, history, send, labels), on the kit."""

from integrations.gmail.fake.app import FakeGmail
from integrations.gmail.fake.seed import GROUP, MAILBOX

__all__ = ["GROUP", "MAILBOX", "FakeGmail"]
