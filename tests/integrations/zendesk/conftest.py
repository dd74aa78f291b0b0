"""A fake Zendesk on a free port, with EduDesk's settings pointing at it."""

from collections.abc import Iterator

import pytest

from integrations import retry
from integrations.zendesk.fake import FakeZendesk

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def fake_zendesk(settings, tmp_path, monkeypatch) -> Iterator[FakeZendesk]:
    """Rate limits off (tests that check the budget switch them on), 120 tickets seeded."""
    fake = FakeZendesk(rate_limit=None, incremental_rate_limit=None, retry_after_seconds=0.05)
    fake.seed(tickets=120, comments_per_ticket=3)
    settings.ZENDESK_URL = fake.start()
    settings.ZENDESK_EMAIL = "api@edudesk.example"
    settings.ZENDESK_API_TOKEN = "test-token"
    settings.ZENDESK_OAUTH_TOKEN = ""
    settings.ZENDESK_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.ZENDESK_RATE_LIMIT_PER_MINUTE = 0
    settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = 0
    settings.VAR_DIR = tmp_path  # a fresh file-based rate budget per test
    # Real backoffs are seconds; the behaviour under test is the same at milliseconds.
    with retry.overridden(base_seconds=0.02):
        yield fake
    fake.stop()


def open_ids(fake: FakeZendesk, n: int) -> list[int]:
    """Ids of unsolved tickets: agents can change them to hold or solved alike."""
    return [tid for tid, t in sorted(fake.tickets.items())
            if t.status in ("new", "open", "pending")][:n]
