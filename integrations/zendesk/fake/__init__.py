"""A loopback fake of the Zendesk Support API (tickets, comments, export, catalog), on the kit."""

from integrations.zendesk.fake.app import FakeZendesk
from integrations.zendesk.fake.events import MISSING

__all__ = ["MISSING", "FakeZendesk"]
