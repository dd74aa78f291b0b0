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


@pytest.mark.usefixtures("seeded_configuration")
def test_a_bulk_upload_is_issued_by_a_worker_in_batches(fake_credly, template,
                                                        celery_worker_process):
    """The confirmed upload's task queues the rows; the outbox's drain_system tasks deliver
    them in batches, from the worker's own process, to the fake Credly."""
    from badges import bulk, services
    from tests.conftest import CREDLY_TOKEN

    text = "email,template,first_name,last_name\n" + "".join(
        f"earner{i}@example.com,{template.name},Earner,Number {i}\n" for i in range(120))
    checked = bulk.validate(text)
    assert checked.is_valid, checked.errors[:3]
    upload = services.create_bulk_issue(rows=checked.rows, filename="cohort.csv",
                                        file_sha256="cohort")
    services.start_bulk_issue(bulk_id=upload.pk)  # committed: its task is on the broker

    worker = celery_worker_process(
        CREDLY_API_URL=fake_credly.base_url, CREDLY_ORGANIZATION_ID=fake_credly.organization_id,
        CREDLY_API_TOKEN=CREDLY_TOKEN)
    sent = OutboxMessage.objects.filter(system="credly", state="sent")
    delivered = wait_for(lambda: sent.count() == 120, timeout=90)
    log = (Path(settings.VAR_DIR) / "worker.log").read_text()
    assert delivered, f"worker (alive={worker.poll() is None}) delivered {sent.count()}:\n{log[-3000:]}"

    on_credly = fake_credly.list_badges()
    assert len(on_credly) == 120 and len({b.recipient_email for b in on_credly}) == 120
    # Received tasks are logged as "Task name[id] received": a few batches, not 120 lanes.
    assert 1 <= log.count("integrations.tasks.drain_system[") < 20
    assert "integrations.tasks.drain_lane[" not in log
