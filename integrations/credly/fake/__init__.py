"""A loopback fake of Credly's Web Service API (badge templates, issued badges, events), on the kit."""

from integrations.credly.fake.app import FakeCredly
from integrations.credly.fake.data import ORGANIZATION_ID

__all__ = ["ORGANIZATION_ID", "FakeCredly"]
