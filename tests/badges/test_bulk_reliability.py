"""A worker killed in the middle of a bulk issue of 1,000 rows, and answers lost on the way to
Credly: run again (and the same file uploaded again), every earner holds exactly one badge on
the fake Credly."""

from collections import Counter

import pytest

from badges import bulk, services
from badges.models import Badge, BulkIssue
from integrations import outbox
from integrations.credly.fake import FakeCredly
from tests.badges.support import deliver_all

pytestmark = pytest.mark.django_db
ROWS = 1000


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the run may catch it, as nothing catches a SIGKILL."""


def file_of(template) -> str:
    return "email,template,first_name,last_name\n" + "".join(
        f"earner{i}@example.com,{template.credly_id},Earner,Number {i}\n" for i in range(ROWS))


def uploaded(text: str) -> BulkIssue:
    result = bulk.validate(text)
    assert result.is_valid
    created = services.create_bulk_issue(rows=result.rows, filename="cohort.csv",
                                         file_sha256="same")
    return services.start_bulk_issue(bulk_id=created.pk)


def test_killed_mid_bulk_then_run_again_gives_each_earner_one_badge(fake_credly: FakeCredly,
                                                                     template, monkeypatch):
    text = file_of(template)
    first = uploaded(text)
    real_queue = services._queue_issues
    calls = Counter()

    def dies_in_the_second_chunk(bulk, new):
        calls["n"] += 1
        if calls["n"] > 1:
            real_queue(bulk, new[:100])  # written in the chunk's transaction, then lost
            raise WorkerKilled
        return real_queue(bulk, new)

    monkeypatch.setattr(services, "_queue_issues", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        services.run_bulk_issue(bulk_id=first.pk)
    first.refresh_from_db()
    # The open chunk died with the worker; the committed one stands, and says so.
    assert (first.position, first.queued) == (services.BULK_CHUNK, services.BULK_CHUNK)
    assert Badge.objects.count() == services.BULK_CHUNK

    # Meanwhile deliveries start; some reach Credly but their answers are lost (a 504 from
    # the gateway, or a worker dying after the call): those rows are queued to try again.
    fake_credly.lost_responses = 30
    for lane in outbox.lanes_to_sweep()[:150]:
        outbox.drain(*lane)
    assert fake_credly.lost_responses == 0
    assert 0 < len(fake_credly.list_badges()) < services.BULK_CHUNK

    # Run again: the killed task's redelivery resumes the upload, and an agent who lost
    # patience uploads the same file once more.
    monkeypatch.setattr(services, "_queue_issues", real_queue)
    services.start_bulk_issue(bulk_id=first.pk)
    services.run_bulk_issue(bulk_id=first.pk)
    second = uploaded(text)
    services.run_bulk_issue(bulk_id=second.pk)
    deliver_all(seconds=120)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.queued, first.skipped) == ("done", ROWS, 0)
    assert (second.state, second.queued, second.skipped) == ("done", 0, ROWS)
    on_credly = fake_credly.list_badges()
    per_earner = Counter(b.recipient_email for b in on_credly)
    assert len(per_earner) == ROWS and set(per_earner.values()) == {1}
    assert {b.state for b in on_credly} == {"pending"}
    ours = Badge.objects.filter(credly_id__isnull=False)
    assert ours.count() == ROWS and set(ours.values_list("credly_id", flat=True)) == {
        b.id for b in on_credly}
