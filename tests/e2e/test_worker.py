"""The production path: a console action's follow-up task done by a real worker process.

On the embedded default the broker is kombu's filesystem transport; in CI's second run
it is Redis and the database PostgreSQL. The same test covers both.
"""

from pathlib import Path

import pytest
from django.conf import settings

from integrations.models import OutboxMessage
from tests.factories import RoutingRuleFactory, TicketFactory, team
from tests.processes import wait_for


@pytest.mark.usefixtures("seeded_configuration")
def test_routing_notification_is_delivered_by_a_worker(client, agent, fake_slack,
                                                       celery_worker_process):
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales", subject="Sales certification for partners")
    client.force_login(agent)

    response = client.post(f"/tickets/{ticket.pk}/route/", {"rule": rule.pk, "note": "Partners"})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(subject=ticket.subject_key)
    assert message.state == "queued"  # nothing delivered it in this process

    worker = celery_worker_process(SLACK_API_URL=fake_slack.base_url, SLACK_BOT_TOKEN="xoxb-t")
    delivered = wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).state != "queued")
    log = (Path(settings.VAR_DIR) / "worker.log").read_text() if not delivered else ""
    assert delivered, f"worker (alive={worker.poll() is None}) did not deliver:\n{log[-3000:]}"

    message.refresh_from_db()
    assert message.state == "sent", message.last_error
    assert message.response["ts"]
    posted = [m for m in fake_slack.messages if m["channel_name"] == "#field-enablement-team"]
    assert len(posted) == 1 and f"#{ticket.pk}" in posted[0]["text"]
    assert "Partners" in posted[0]["text"]
