"""The admins' Zendesk connection page: where the sync stands, and the full-sync button."""

import pytest

from integrations.errors import TransientError
from integrations.models import SyncState
from integrations.zendesk import sync
from integrations.zendesk.fake import MISSING

from .conftest import open_ids


def test_page_shows_last_sync_cursor_counts_and_problems(client, admin_user, fake_zendesk):
    fake_zendesk.corrupt_ticket(open_ids(fake_zendesk, 1)[0], status="escalated")
    sync.run_sync()
    state = SyncState.objects.get()
    client.force_login(admin_user)

    page = client.get("/connections/zendesk/").content.decode()

    assert "Connected to" in page and fake_zendesk.base_url in page
    assert state.cursors["tickets"] in page and "tickets 119" in page and "comments 357" in page
    assert "finished" in page and "119" in page  # the first sync was a full one
    assert "unknown status &#x27;escalated&#x27;" in page
    assert 'hx-get="/connections/zendesk/status/"' in page and "every 30s" in page


def test_status_partial_polls_fast_while_a_full_sync_runs(client, admin_user, fake_zendesk):
    sync.run_sync()
    state = SyncState.objects.get()
    state.full_sync_started_at, state.full_sync_finished_at = state.last_started_at, None
    state.full_sync_total, state.full_sync_done = 400, 100
    state.lease_expires_at = state.last_started_at.replace(year=2999)
    state.phase = "tickets"
    state.save()
    client.force_login(admin_user)

    partial = client.get("/connections/zendesk/status/").content.decode()

    assert "running (tickets)" in partial and "every 2s" in partial
    assert '<progress max="100" value="25">' in partial and "100 of 400 tickets" in partial


def test_errors_are_shown(client, admin_user, fake_zendesk):
    fake_zendesk.corrupt_ticket(1, id=MISSING)
    fake_zendesk.stop()  # Zendesk is down
    with pytest.raises(TransientError):
        sync.run_sync()
    client.force_login(admin_user)
    page = client.get("/connections/zendesk/").content.decode()
    assert "Last error" in page and "TransientError" in page


def test_full_sync_button_marks_and_starts_a_full_sync(client, admin_user, fake_zendesk,
                                                       django_capture_on_commit_callbacks):
    sync.run_sync()
    first_started = SyncState.objects.get().full_sync_started_at
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/connections/zendesk/full-sync/")
    assert response.status_code == 302
    assert SyncState.objects.get().full_sync_requested_at is not None
    assert [c.__self__.name for c in callbacks] == ["integrations.zendesk.tasks.sync_full"]
    page = client.get("/connections/zendesk/").content.decode()
    assert "full sync requested" in page

    # A lost task costs nothing: the next scheduled run sees the mark and does the full sync.
    result = sync.run_sync()
    state = SyncState.objects.get()
    assert result.counts["tickets"] == 0 and state.full_sync_requested_at is None
    assert state.full_sync_finished_at > state.full_sync_started_at > first_started


def test_agents_cannot_see_the_connection_page(agent_client):
    assert agent_client.get("/connections/zendesk/").status_code == 403
    assert agent_client.post("/connections/zendesk/full-sync/").status_code == 403
