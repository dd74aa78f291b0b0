"""A fake Credly on a free loopback port, and a CredlyClient pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.credly.client import CredlyClient
from integrations.credly.fake import FakeCredly
from tests.integrations.credly.support import TOKEN


@pytest.fixture
def fake() -> Iterator[FakeCredly]:
    server = FakeCredly(token=TOKEN)
    server.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeCredly) -> Iterator[CredlyClient]:
    with CredlyClient(fake.base_url or "", fake.organization_id, TOKEN) as c:
        yield c


@pytest.fixture
def template_id(fake: FakeCredly) -> str:
    return fake.template_ids("active")[0]
