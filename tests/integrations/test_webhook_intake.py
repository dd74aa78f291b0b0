"""The kit's signed-webhook intake: schemes, rotation, replay, dedup, size cap, validation, outages."""

import base64
import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import RequestFactory
from rest_framework import serializers
from standardwebhooks import Webhook

from integrations import webhooks
from integrations.models import SyncState, WebhookEvent

pytestmark = pytest.mark.django_db
SECRET = "whsec_" + base64.b64encode(b"certification-results-key").decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"the-rotated-in-signing-key").decode()
RESULT = {"type": "certification.submitted", "data": {"email": "ada@example.com", "score": 91}}


class Results(serializers.Serializer):
    class Data(serializers.Serializer):
        email = serializers.EmailField()
        score = serializers.IntegerField(min_value=0, max_value=100)

    type = serializers.CharField()
    data = Data()


class Handled:
    """A handler that records what it was given."""

    def __init__(self) -> None:
        self.calls: list = []

    def __call__(self, payload, event) -> None:
        self.calls.append((payload, event.pk))


def standard_request(body: bytes, *, secret: str = SECRET, msg_id: str = "msg_1",
                     at: datetime | None = None, signature: str | None = None, **headers):
    at = at or datetime.now(UTC)
    if signature is None:
        signature = Webhook(secret).sign(msg_id, at, body.decode())
    return RequestFactory().post("/hooks/certifications/", data=body,
                                 content_type="application/json",
                                 headers={"webhook-id": msg_id, "webhook-signature": signature,
                                          "webhook-timestamp": str(int(at.timestamp())),
                                          **headers})


def standard(request, secrets=(SECRET,), **kwargs):
    return webhooks.receive(request, sender="certs", scheme=webhooks.StandardWebhooks(),
                            secrets=list(secrets), **kwargs)


def answer(response) -> tuple[int, dict]:
    return response.status_code, json.loads(response.content)


def accepted() -> list[WebhookEvent]:
    return list(WebhookEvent.objects.exclude(state="rejected"))


def rejected() -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(state="rejected"))


BODY = json.dumps(RESULT).encode()


def test_signed_event_is_stored_raw_and_handled():
    handled = Handled()
    assert answer(standard(standard_request(BODY), handle=handled)) == (
        200, {"ok": True, "duplicate": False})
    [event] = accepted()
    assert (event.system, event.event_id, event.state) == ("certs", "msg_1", "processed")
    assert event.body == BODY.decode() and event.headers["Webhook-Id"] == "msg_1"
    assert handled.calls == [(RESULT, event.pk)]


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "stale", "future",
                                  "missing id", "unsigned id change"])
def test_unauthentic_standard_webhooks_are_refused(case):
    handled = Handled()
    body, kwargs = BODY, {}
    if case == "tampered body":
        kwargs["signature"] = Webhook(SECRET).sign("msg_1", datetime.now(UTC), BODY.decode())
        body = BODY.replace(b"91", b"99")
    elif case == "wrong secret":
        kwargs["secret"] = NEXT_SECRET
    elif case in ("stale", "future"):
        kwargs["at"] = datetime.now(UTC) + timedelta(minutes=6) * (-1 if case == "stale" else 1)
    elif case == "missing id":
        kwargs["msg_id"] = ""  # signed over ".<timestamp>.<body>", but Standard Webhooks needs an id
    request = standard_request(body, **kwargs)
    if case == "missing id":
        del request.META["HTTP_WEBHOOK_ID"]
    elif case == "unsigned id change":
        request.META["HTTP_WEBHOOK_ID"] = "msg_2"  # the id is part of what is signed
    status, content = answer(standard(request, handle=handled))
    assert status == 401 and not accepted() and not handled.calls
    [log] = rejected()
    assert log.error == content["error"]


def test_either_of_two_active_secrets_passes():
    both = (SECRET, NEXT_SECRET)
    assert standard(standard_request(BODY, secret=NEXT_SECRET), secrets=both).status_code == 200
    assert standard(standard_request(BODY, msg_id="msg_2"), secrets=both).status_code == 200
    assert standard(standard_request(BODY, msg_id="msg_3", secret=NEXT_SECRET),
                    secrets=("", SECRET)).status_code == 401
    assert len(accepted()) == 2


def test_one_of_several_offered_signatures_suffices():
    at = datetime.now(UTC)
    good = Webhook(SECRET).sign("msg_1", at, BODY.decode())
    offered = f"v1,bm90IGl0 v1a,ed25519-is-not-checked {good}"
    assert standard(standard_request(BODY, at=at, signature=offered)).status_code == 200


@pytest.mark.parametrize("secrets", [(), ("",)])
def test_without_a_secret_everything_is_refused(secrets):
    response = standard(standard_request(BODY), secrets=secrets)
    assert response.status_code == 401 and not accepted()


def test_same_webhook_id_twice_is_one_event():
    handled = Handled()
    first = standard(standard_request(BODY), handle=handled)
    # A retry re-signs with a new timestamp, but keeps its webhook-id.
    again = standard(standard_request(BODY, at=datetime.now(UTC) - timedelta(seconds=30)),
                     handle=handled)
    assert answer(first)[1]["duplicate"] is False
    assert answer(again) == (200, {"ok": True, "duplicate": True})
    assert len(accepted()) == 1 and len(handled.calls) == 1


ZD_SECRET = "zd-secret"
ZENDESK_LIKE = webhooks.TimestampedHmac(signature_header="X-Zendesk-Webhook-Signature",
                                        timestamp_header="X-Zendesk-Webhook-Signature-Timestamp",
                                        id_header="X-Zendesk-Webhook-Invocation-Id")


def hmac_request(body: bytes, timestamp: str, invocation: str, secret: str = ZD_SECRET):
    return RequestFactory().post("/hooks/zendesk/", data=body, content_type="application/json",
                                 headers={"X-Zendesk-Webhook-Signature":
                                          ZENDESK_LIKE.signature(secret, timestamp, body),
                                          "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
                                          "X-Zendesk-Webhook-Invocation-Id": invocation})


def timestamped(request, **kwargs):
    return webhooks.receive(request, sender="zd", scheme=ZENDESK_LIKE,
                            secrets=["zd-old", ZD_SECRET], **kwargs)


def test_replay_with_a_fresh_unsigned_id_is_a_duplicate():
    handled = Handled()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert answer(timestamped(hmac_request(BODY, stamp, "inv-1"), handle=handled))[1] == {
        "ok": True, "duplicate": False}
    assert answer(timestamped(hmac_request(BODY, stamp, "inv-2"), handle=handled))[1] == {
        "ok": True, "duplicate": True}
    [event] = accepted()
    assert event.event_id == "inv-1" and len(handled.calls) == 1


def test_large_body_replayed_thirty_times_is_stored_once():
    handled = Handled()
    body = json.dumps({"id": "big", "blob": "x" * (990 * 1024 - 30)}).encode()
    assert 989 * 1024 < len(body) <= webhooks.MAX_BODY_BYTES
    stamp = str(int(datetime.now(UTC).timestamp()))
    answers = [answer(timestamped(hmac_request(body, stamp, f"inv-{n}"), handle=handled))
               for n in range(30)]
    assert answers[0] == (200, {"ok": True, "duplicate": False})
    assert answers[1:] == [(200, {"ok": True, "duplicate": True})] * 29
    [event] = WebhookEvent.objects.all()
    assert len(event.body) == len(body) and len(handled.calls) == 1


@pytest.mark.parametrize("length", ["declared", "chunked"])
def test_over_the_cap_is_413_and_only_a_rejected_log_row(length):
    body = json.dumps({"blob": "x" * webhooks.MAX_BODY_BYTES}).encode()
    request = standard_request(body)
    if length == "chunked":  # no Content-Length: an ASGI server hands over the whole body
        del request.META["CONTENT_LENGTH"]
        request._body = body
    with mock.patch.object(webhooks.Webhook, "sign") as sign:
        status, content = answer(standard(request))
    assert status == 413 and not sign.called
    if length == "declared":
        assert not hasattr(request, "_body")  # refused on its Content-Length, never read
    [log] = WebhookEvent.objects.all()
    assert log.state == "rejected" and log.body == "" and "limit" in log.error


def test_rejected_requests_are_logged_small_and_without_credentials():
    body = b'{"pad": "' + b"y" * 10_000 + b'"}'
    request = standard_request(body, signature="v1,forged", Authorization="Bearer ours")
    request.META.update(HTTP_COOKIE="sessionid=abc", REMOTE_ADDR="203.0.113.9")
    assert standard(request).status_code == 401
    [log] = rejected()
    assert log.remote_addr == "203.0.113.9" and log.error == "signature does not match"
    assert log.body == body[:4096].decode() and log.headers["Webhook-Signature"] == "v1,forged"
    assert not {"Cookie", "Authorization"} & set(log.headers)


def test_invalid_payload_is_kept_with_its_errors_and_answered_400():
    handled = Handled()
    body = json.dumps({"type": "certification.submitted",
                       "data": {"email": "not-an-email", "score": 140}}).encode()
    status, content = answer(standard(standard_request(body), validate=Results, handle=handled))
    assert status == 400 and not handled.calls
    assert set(content["errors"]) == {"data.email", "data.score"}
    assert all(isinstance(m, str) for messages in content["errors"].values() for m in messages)
    [event] = accepted()
    assert event.state == "invalid" and json.loads(event.error) == content["errors"]
    # Once the validator is corrected, the sender's retry is processed, not a "duplicate".
    status, content = answer(standard(standard_request(body), handle=handled))
    assert (status, content["duplicate"]) == (200, False) and len(handled.calls) == 1
    assert WebhookEvent.objects.get().state == "processed"


@pytest.mark.parametrize("body", [b"score=91", b"[1, 2]"])
def test_unparsable_payload_is_invalid(body):
    status, content = answer(standard(standard_request(body)))
    assert status == 400 and list(content["errors"]) == ["body"]
    assert WebhookEvent.objects.get().state == "invalid"


def test_validator_function_raising_validation_error():
    def passing_only(payload):
        if payload["data"]["score"] < 95:
            raise ValidationError({"score": "below the pass mark"})
        return {"email": payload["data"]["email"]}

    handled = Handled()
    status, content = answer(standard(standard_request(BODY), validate=passing_only))
    assert (status, content) == (400, {"errors": {"score": ["below the pass mark"]}})
    passing = json.dumps({**RESULT, "data": {"email": "b@example.com", "score": 97}}).encode()
    standard(standard_request(passing, msg_id="msg_2"), validate=passing_only, handle=handled)
    assert [payload for payload, _ in handled.calls] == [{"email": "b@example.com"}]


def test_database_down_while_storing_is_503_and_nothing_stored():
    with mock.patch.object(WebhookEvent.objects, "create",
                           side_effect=OperationalError("connection refused")):
        status, _ = answer(standard(standard_request(BODY)))
    assert status == 503 and not WebhookEvent.objects.exists()


def test_database_down_while_handling_is_503_and_the_retry_finishes_it():
    def flaky(payload, event):
        SyncState.objects.create(system="half-done")
        raise OperationalError("server closed the connection unexpectedly")

    assert standard(standard_request(BODY), handle=flaky).status_code == 503
    # The handler's writes and the "processed" mark went back together.
    assert not SyncState.objects.exists()
    assert WebhookEvent.objects.get().state == "received"
    handled = Handled()
    assert answer(standard(standard_request(BODY), handle=handled))[1]["duplicate"] is False
    assert WebhookEvent.objects.get().state == "processed" and len(handled.calls) == 1


def test_a_crashing_handler_leaves_the_event_for_the_retry_with_its_error():
    def broken(payload, event):
        raise KeyError("certification")

    with pytest.raises(KeyError):
        standard(standard_request(BODY), handle=broken)
    event = WebhookEvent.objects.get()
    assert event.state == "received" and "KeyError" in event.error
