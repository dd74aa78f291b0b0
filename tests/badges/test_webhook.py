"""POST /hooks/certifications/: signed results become one submission and one badge on the fake Credly."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from badges.models import Badge, ResultSender, Submission
from integrations.models import OutboxMessage, WebhookEvent
from tests.factories import ResultSenderFactory

from .support import deliver_all, post_signed, result

pytestmark = pytest.mark.django_db


def secret_of(sender: ResultSender) -> str:
    return sender.secret_list[0]


def test_a_passing_result_issues_one_badge_on_credly(client, fake_credly, sender, certification):
    response = post_signed(client, result("git-associate"), secret_of(sender), msg_id="msg_1")

    assert response.status_code == 200 and response.json() == {"ok": True, "duplicate": False}
    submission = Submission.objects.get()
    assert (submission.sender, submission.submission_id, submission.passed) == (
        sender, "result-1", True)
    assert submission.raw_payload == result("git-associate")
    assert WebhookEvent.objects.get().state == "processed"
    deliver_all()
    [issued] = fake_credly.list_badges()
    badge = Badge.objects.get()
    assert (issued.recipient_email, issued.first_name, issued.last_name) == (
        "ada@example.com", "Ada", "Lovelace")
    assert issued.issuer_earner_id == badge.issuer_earner_id
    assert issued.issued_at == datetime(2024, 5, 1, 9, 40, tzinfo=UTC)
    assert (badge.credly_id, badge.state) == (issued.id, "pending")


def test_a_result_delivered_three_times_and_out_of_order_counts_once(
        client, fake_credly, sender, certification):
    first = result("git-associate", submission_id="a", email="ada@example.com")
    other = result("git-associate", submission_id="b", email="grace@example.com")
    assert post_signed(client, first, secret_of(sender), msg_id="msg_a").status_code == 200
    assert post_signed(client, other, secret_of(sender), msg_id="msg_b").status_code == 200
    # The sender's retry of msg_a (same id), then the same result re-sent under a new id.
    again = post_signed(client, first, secret_of(sender), msg_id="msg_a")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert post_signed(client, first, secret_of(sender), msg_id="msg_a2").status_code == 200
    deliver_all()

    assert Submission.objects.count() == 2 and Badge.objects.count() == 2
    assert sorted(b.recipient_email for b in fake_credly.list_badges()) == [
        "ada@example.com", "grace@example.com"]


def test_a_bad_signature_is_refused_and_only_logged(client, sender, certification):
    body = json.dumps(result("git-associate")).encode()
    forged = Webhook("whsec_" + "Zm9yZ2VkLWtleS1mb3JnZWQta2V5LWZvcmdlZA==").sign(
        "msg_1", datetime.now(UTC), body.decode())
    stale = datetime.now(UTC) - timedelta(minutes=6)

    answers = [post_signed(client, body, secret_of(sender), signature=forged).status_code,
               post_signed(client, body, secret_of(sender), at=stale).status_code,
               post_signed(client, body.replace(b"92", b"99"), secret_of(sender),
                           signature=Webhook(secret_of(sender)).sign(
                               "msg_1", datetime.now(UTC), body.decode())).status_code]

    assert answers == [401, 401, 401]
    assert not Submission.objects.exists() and not OutboxMessage.objects.exists()
    assert list(WebhookEvent.objects.values_list("state", flat=True)) == ["rejected"] * 3


def test_an_invalid_result_is_kept_with_its_errors_and_answered_400(client, sender, certification):
    payload = result("no-such-exam", email="not-an-address", score=None)

    response = post_signed(client, payload, secret_of(sender))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["data.certification"] == ["Object with code=no-such-exam does not exist."]
    assert errors["data.earner.email"] == ["Enter a valid email address."]
    event = WebhookEvent.objects.get()
    assert event.state == "invalid" and "no-such-exam" in event.error
    assert not Submission.objects.exists()
    missing_score = post_signed(client, result("git-associate", score=None), secret_of(sender))
    assert missing_score.json()["errors"] == {
        "data.score": ["Required: this certification passes on its score."]}


def test_each_sender_signs_with_its_own_secrets_and_keeps_its_own_ids(
        client, sender, certification):
    old = secret_of(sender)
    sender.secrets = f"{old}\n{ResultSender._meta.get_field('secrets').default()}"
    sender.save()
    lms = ResultSenderFactory(name="LMS")
    # During a rotation both of the form's secrets are good; the LMS reuses a message id.
    codes = [post_signed(client, result("git-associate", submission_id="x1"), old,
                         msg_id="msg_1").status_code,
             post_signed(client, result("git-associate", submission_id="x2"),
                         sender.secret_list[1], msg_id="msg_2").status_code,
             post_signed(client, result("git-associate", submission_id="x1"),
                         secret_of(lms), msg_id="msg_1").status_code]

    assert codes == [200, 200, 200]
    assert sorted(Submission.objects.values_list("sender__name", "submission_id")) == [
        ("Exam form", "x1"), ("Exam form", "x2"), ("LMS", "x1")]
    ResultSender.objects.filter(pk=lms.pk).update(active=False)
    refused = post_signed(client, result("git-associate", submission_id="x3"), secret_of(lms))
    assert refused.status_code == 401


def test_only_post_is_served(client):
    assert client.get("/hooks/certifications/").status_code == 405
