"""Webhook intake promises no test pinned (python -m mutation integrations/webhooks.py):
each sender's events apart, replays refused on every scheme, one event's outcome never
written onto another, what the admin reads in the log."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory

from integrations import webhooks
from integrations.models import WebhookEvent
from tests.integrations.test_webhook_intake import (
    BODY,
    SECRET,
    ZD_SECRET,
    ZENDESK_LIKE,
    Handled,
    answer,
    hmac_request,
    standard,
    standard_request,
    timestamped,
)

pytestmark = pytest.mark.django_db


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_same_event_from_two_senders_is_two_events():
    for sender in ("certs", "other"):
        response = webhooks.receive(standard_request(BODY), sender=sender,
                                    scheme=webhooks.StandardWebhooks(), secrets=[SECRET])
        assert answer(response) == (200, {"ok": True, "duplicate": False})
    assert sorted(WebhookEvent.objects.values_list("system", flat=True)) == ["certs", "other"]


def test_a_refusal_is_logged_under_its_sender_with_the_address():
    request = standard_request(BODY, signature="v1,forged")
    assert answer(standard(request))[0] == 401
    event = WebhookEvent.objects.get()
    assert (event.system, event.state, event.remote_addr) == ("certs", "rejected", "127.0.0.1")


def test_an_accepted_event_keeps_the_senders_address_and_short_key():
    standard(standard_request(BODY))
    event = WebhookEvent.objects.get()
    assert event.remote_addr == "127.0.0.1" and event.dedup_key == "msg_1"


def test_no_secret_says_so():
    status, content = answer(standard(standard_request(BODY), secrets=[]))
    assert status == 401 and "no signing secret" in content["error"]


@pytest.mark.parametrize("missing", ["X-Zendesk-Webhook-Signature",
                                     "X-Zendesk-Webhook-Signature-Timestamp"])
def test_a_timestamped_request_missing_a_header_is_refused(missing):
    request = hmac_request(BODY, _now(), "inv-1")
    del request.META["HTTP_" + missing.upper().replace("-", "_")]
    assert answer(timestamped(request)) == (401, {"error": "missing signature or timestamp header"})


def test_a_timestamped_replay_of_an_old_request_is_refused():
    old = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, content = answer(timestamped(hmac_request(BODY, old, "inv-1")))
    assert status == 401 and "replay window" in content["error"]


def test_a_timestamped_forgery_is_refused():
    request = hmac_request(BODY, _now(), "inv-1", secret="not-the-secret")
    assert answer(timestamped(request)) == (401, {"error": "signature does not match"})


def test_a_naive_timestamp_is_read_as_utc():
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    assert answer(timestamped(hmac_request(BODY, stamp, "inv-1")))[0] == 200


def test_a_malformed_timestamp_is_refused():
    assert answer(timestamped(hmac_request(BODY, "yesterday", "inv-1")))[0] == 401


def test_a_signature_that_is_not_ascii_is_refused_not_a_crash():
    request = hmac_request(BODY, _now(), "inv-1")
    request.META["HTTP_X_ZENDESK_WEBHOOK_SIGNATURE"] = "sïgnature"
    assert answer(timestamped(request))[0] == 401
    standard_one = standard_request(BODY, signature="v1,sïgnature")
    assert answer(standard(standard_one))[0] == 401


def test_a_body_that_is_not_utf8_is_stored_readably():
    body = b'{"id": "x", "name": "\xff"}'
    stamp = _now()
    response = timestamped(hmac_request(body, stamp, "inv-1"))
    assert answer(response)[0] == 400  # authentic, but not JSON text
    assert "\ufffd" in WebhookEvent.objects.get().body


def test_the_payloads_own_id_names_an_event_without_an_id_header():
    body = json.dumps({"id": 4242, "x": 1}).encode()
    request = hmac_request(body, _now(), "")
    assert answer(timestamped(request))[0] == 200
    assert WebhookEvent.objects.get().event_id == "4242"


def test_long_ids_are_cut_to_what_the_log_holds():
    long_id = "i" * 150
    assert answer(timestamped(hmac_request(BODY, _now(), long_id)))[0] == 200
    body = json.dumps({"id": "p" * 150}).encode()
    assert answer(timestamped(hmac_request(body, _now(), "")))[0] == 200
    assert sorted(len(e) for e in WebhookEvent.objects.values_list("event_id", flat=True)) == [
        100, 100]


def test_one_events_outcome_is_never_written_onto_another():
    unfinished = WebhookEvent.objects.create(system="certs", dedup_key="other", state="received",
                                             error="earlier crash")
    standard(standard_request(BODY), handle=Handled())
    unfinished.refresh_from_db()
    assert (unfinished.state, unfinished.error) == ("received", "earlier crash")

    def broken(payload, event):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        standard(standard_request(BODY, msg_id="msg_2"), handle=broken)
    unfinished.refresh_from_db()
    assert unfinished.error == "earlier crash"
    bad = standard_request(json.dumps([1]).encode(), msg_id="msg_3")
    assert answer(standard(bad))[0] == 400
    unfinished.refresh_from_db()
    assert unfinished.state == "received"


def test_a_redelivery_after_a_crash_clears_the_error():
    def broken(payload, event):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        standard(standard_request(BODY), handle=broken)
    assert answer(standard(standard_request(BODY), handle=Handled()))[0] == 200
    event = WebhookEvent.objects.get()
    assert (event.state, event.error) == ("processed", "")


def test_an_invalid_error_list_is_kept_in_full():
    bad = standard_request(b"[1]")
    assert answer(standard(bad)) == (400, {"errors": {"body": ["must be a JSON object"]}})
    assert json.loads(WebhookEvent.objects.get().error) == {"body": ["must be a JSON object"]}


def test_a_nested_list_error_is_named_by_its_index():
    def check(payload):
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"items": [{}, {"name": ["required"]}]})

    assert answer(standard(standard_request(BODY), validate=check)) == (
        400, {"errors": {"items.1.name": ["required"]}})


def test_a_top_level_list_error_is_named_by_its_index():
    def check(payload):
        from rest_framework.exceptions import ValidationError

        raise ValidationError([{}, {"name": ["required"]}])

    assert answer(standard(standard_request(BODY), validate=check)) == (
        400, {"errors": {"1.name": ["required"]}})


def test_a_body_over_the_cap_without_a_declared_length_is_refused():
    request = RequestFactory().post("/hooks/", data=b"x" * 50, content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    response = webhooks.receive(request, sender="certs", scheme=ZENDESK_LIKE,
                                secrets=[ZD_SECRET], max_bytes=10)
    assert answer(response)[0] == 413


def test_a_standard_webhook_with_a_malformed_timestamp_is_refused():
    request = standard_request(BODY)
    request.META["HTTP_WEBHOOK_TIMESTAMP"] = "soon"
    status, content = answer(standard(request))
    assert status == 401 and content["error"].startswith("malformed webhook-timestamp")


def test_a_standard_webhook_body_that_is_not_utf8_is_refused():
    request = standard_request(BODY)
    request._body = b"\xff\xfe"
    status, content = answer(standard(request))
    assert status == 401 and "not UTF-8" in content["error"]


def test_a_long_standard_webhook_id_is_cut_for_the_log():
    assert answer(standard(standard_request(BODY, msg_id="m" * 150)))[0] == 200
    assert len(WebhookEvent.objects.get().event_id) == 100


def test_a_delivery_finished_meanwhile_by_another_is_not_handled_twice():
    handled = Handled()

    def finished_elsewhere(payload):
        WebhookEvent.objects.update(state="processed")  # a concurrent delivery got there first

    response = standard(standard_request(BODY), validate=finished_elsewhere, handle=handled)
    assert answer(response) == (200, {"ok": True, "duplicate": True}) and not handled.calls


def test_an_invalid_verdict_never_undoes_a_concurrent_success():
    from django.core.exceptions import ValidationError

    def finished_elsewhere_then_refused(payload):
        WebhookEvent.objects.update(state="processed")
        raise ValidationError({"type": ["unknown"]})

    assert answer(standard(standard_request(BODY), validate=finished_elsewhere_then_refused))[0] == 400
    assert WebhookEvent.objects.get().state == "processed"


def test_stored_errors_are_capped():
    from django.core.exceptions import ValidationError

    def verbose(payload):
        raise ValidationError({"type": ["x" * 20_000]})

    standard(standard_request(BODY), validate=verbose)
    assert len(WebhookEvent.objects.get().error) == 10_000

    def broken(payload, event):
        raise KeyError("y" * 2_000)

    with pytest.raises(KeyError):
        standard(standard_request(BODY, msg_id="msg_2"), handle=broken)
    assert len(WebhookEvent.objects.get(event_id="msg_2").error) == 500


def test_a_body_over_djangos_own_limit_is_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = webhooks.receive(RequestFactory().post("/hooks/", data=b"x" * 50,
                                                      content_type="application/json"),
                                sender="certs", scheme=ZENDESK_LIKE, secrets=[ZD_SECRET])
    assert answer(response)[0] == 413
