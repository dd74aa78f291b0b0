"""CredlyClient against FakeCredly over loopback HTTP: Credly's state rules, lookups and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.credly.client import CredlyClient
from integrations.credly.fake import FakeCredly
from integrations.credly.fake import validate as says
from integrations.errors import PermanentError, RateLimited, TransientError
from tests.integrations.credly.support import ISSUED_AT, TOKEN, issue


def test_issue_creates_a_pending_badge(fake: FakeCredly, client: CredlyClient,
                                       template_id: str) -> None:
    badge = issue(client, template_id, "Ada@Example.com", issuer_earner_id="sub-1")

    assert badge["state"] == "pending"
    assert badge["recipient_email"] == "ada@example.com"
    assert badge["issuer_earner_id"] == "sub-1"
    assert badge["badge_template"]["id"] == template_id
    assert badge["issued_at"] == "2024-05-01T09:41:00.000Z"
    assert [(b.id, b.state) for b in fake.list_badges()] == [(badge["id"], "pending")]


def test_a_badge_the_earner_accepts_reads_back_accepted(fake: FakeCredly, client: CredlyClient,
                                                        template_id: str) -> None:
    badge = issue(client, template_id)
    fake.accept(badge["id"])

    again = client.get_badge(badge["id"])
    assert again["state"] == "accepted"
    assert again["state_updated_at"] is not None


def test_replacing_a_pending_badge_issues_a_new_one_to_the_new_address(
        fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    old = issue(client, template_id, "typo@exmaple.com")

    new = client.replace_badge(old["id"], template_id=template_id, issued_at=ISSUED_AT,
                               recipient_email="ada@example.com")

    assert new["state"] == "pending"
    assert new["recipient_email"] == "ada@example.com"
    assert new["replaces_badge_id"] == old["id"]
    assert new["issued_to_first_name"] == "Ada"  # kept from the badge it replaces
    before = client.get_badge(old["id"])
    assert (before["state"], before["replacement_badge_id"]) == ("revoked", new["id"])


def test_replacing_an_accepted_badge_is_refused_in_credlys_words(
        fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    badge = issue(client, template_id)
    fake.accept(badge["id"])

    with pytest.raises(PermanentError) as refused:
        client.replace_badge(badge["id"], template_id=template_id, issued_at=ISSUED_AT,
                             recipient_email="other@example.com")

    expected = says.NOT_PENDING.format(badge["id"], "accepted")
    assert refused.value.status == 422
    assert refused.value.message == expected
    assert str(refused.value) == f"HTTP 422: {expected}"
    assert len(fake.list_badges()) == 1


def test_revoke_once_then_a_second_revoke_is_refused(fake: FakeCredly, client: CredlyClient,
                                                     template_id: str) -> None:
    badge = issue(client, template_id)

    revoked = client.revoke_badge(badge["id"], "Issued to the wrong address")
    assert (revoked["state"], revoked["revocation_reason"]) == (
        "revoked", "Issued to the wrong address")
    with pytest.raises(PermanentError) as refused:
        client.revoke_badge(badge["id"], "again")
    assert refused.value.message == says.ALREADY_REVOKED.format(badge["id"])
    assert fake.list_badges()[0].revocation_reason == "Issued to the wrong address"


def test_revoke_needs_a_reason(client: CredlyClient, template_id: str) -> None:
    badge = issue(client, template_id)
    with pytest.raises(PermanentError) as refused:
        client.revoke_badge(badge["id"], "  ")
    assert refused.value.message == "Validation failed: Reason can't be blank"
    assert client.get_badge(badge["id"])["state"] == "pending"


def test_an_archived_template_cannot_issue(fake: FakeCredly, client: CredlyClient) -> None:
    archived = fake.template_ids("archived")[0]
    with pytest.raises(PermanentError) as refused:
        issue(client, archived)
    assert refused.value.message == says.ARCHIVED_TEMPLATE.format(archived)
    assert fake.list_badges() == []


def test_an_unknown_template_is_named_in_credlys_message(client: CredlyClient) -> None:
    with pytest.raises(PermanentError) as refused:
        issue(client, "00000000-0000-4000-8000-000000000000")
    assert refused.value.message == (
        "Invalid or missing Badge Template ID: 00000000-0000-4000-8000-000000000000")


def test_a_duplicate_issue_is_refused_until_the_first_is_revoked(
        fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    first = issue(client, template_id, "ada@example.com", issuer_earner_id="sub-7")

    with pytest.raises(PermanentError) as same_email:
        issue(client, template_id, "ADA@example.com")
    with pytest.raises(PermanentError) as same_earner_id:
        issue(client, template_id, "other@example.com", issuer_earner_id="sub-7")
    assert same_email.value.status == 422
    assert same_email.value.message == says.DUPLICATE.format("ada@example.com")
    assert same_earner_id.value.message == says.DUPLICATE.format("other@example.com")
    other_template = fake.template_ids("active")[1]
    assert issue(client, other_template, "ada@example.com")["state"] == "pending"

    client.revoke_badge(first["id"], "exam annulled")
    assert issue(client, template_id, "ada@example.com")["state"] == "pending"


def test_a_template_that_allows_duplicates_issues_twice(fake: FakeCredly,
                                                        client: CredlyClient) -> None:
    template = fake.add_template("GitLab Office Hours", allow_duplicate_badges=True)
    issue(client, template)
    issue(client, template)
    assert len(fake.list_badges(template_id=template)) == 2


def test_after_a_lost_answer_the_issue_is_found_by_issuer_earner_id(
        fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    fake.lost_responses = 1  # Credly issues the badge, the gateway answers 504

    with pytest.raises(TransientError) as lost:
        issue(client, template_id, issuer_earner_id="sub-42")
    assert lost.value.status == 504

    found = client.find_live_badge(template_id, "sub-42")
    [stored] = fake.list_badges()
    assert found is not None and found["id"] == stored.id
    # Retrying the issue blindly is what the lookup spares: Credly calls it a duplicate.
    with pytest.raises(PermanentError, match="already has a pending or accepted badge"):
        issue(client, template_id, issuer_earner_id="sub-42")
    assert client.find_live_badge(template_id, "sub-43") is None


def test_find_live_badge_skips_revoked_badges(client: CredlyClient, template_id: str) -> None:
    old = issue(client, template_id, issuer_earner_id="sub-9")
    client.revoke_badge(old["id"], "wrong exam")
    assert client.find_live_badge(template_id, "sub-9") is None

    new = issue(client, template_id, issuer_earner_id="sub-9")
    assert client.find_live_badge(template_id, "sub-9")["id"] == new["id"]


def test_list_badges_walks_every_page(fake: FakeCredly, client: CredlyClient,
                                      template_id: str) -> None:
    fake.page_size = 3
    issued = [issue(client, template_id, f"earner{i}@example.com")["id"] for i in range(7)]

    listed = [b["id"] for b in client.list_badges()]

    assert listed == issued
    pages = [r for r in fake.request_log if r.method == "GET" and r.path.endswith("/badges")]
    assert len(pages) == 3


def test_list_badges_filters(fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    fake.clock = lambda: datetime(2024, 5, 1, 12, tzinfo=UTC)
    early = issue(client, template_id, "early@example.com", issuer_earner_id="sub-early")
    fake.clock = lambda: datetime(2024, 5, 3, 12, tzinfo=UTC)
    late = issue(client, template_id, "Late@Example.com")
    fake.accept(late["id"])

    def ids(**filters: object) -> list[str]:
        return [b["id"] for b in client.list_badges(**filters)]

    assert ids(issuer_earner_id="sub-early") == [early["id"]]
    assert ids(recipient_email="late@example.COM") == [late["id"]]
    assert ids(state="accepted") == [late["id"]]
    assert ids(state=["pending", "accepted"]) == [early["id"], late["id"]]
    assert ids(updated_since=datetime(2024, 5, 2, 23, tzinfo=UTC)) == [late["id"]]
    assert ids(template_id=fake.template_ids()[1]) == []


def test_a_filter_value_cannot_smuggle_in_another_term(client: CredlyClient) -> None:
    with pytest.raises(ValueError, match="cannot contain"):
        client.list_badges(issuer_earner_id="x|state::accepted")


def test_429_becomes_rate_limited_with_credlys_retry_after(fake: FakeCredly,
                                                           client: CredlyClient) -> None:
    fake.rate_limit, fake.retry_after_seconds = 2, 7
    list(client.list_templates())
    list(client.list_templates())

    with pytest.raises(RateLimited) as limited:
        list(client.list_templates())
    assert limited.value.retry_after == 7.0
    assert limited.value.message == says.RATE_LIMITED


def test_injected_5xx_is_transient_and_changes_nothing(fake: FakeCredly, client: CredlyClient,
                                                       template_id: str) -> None:
    fake.error_rate = 1.0
    for _ in range(4):  # 500 (JSON) and 502/503 (HTML) alike
        with pytest.raises(TransientError) as failed:
            issue(client, template_id)
        assert failed.value.status in (500, 502, 503)
    assert fake.list_badges() == []


def test_a_wrong_token_is_401(fake: FakeCredly) -> None:
    with CredlyClient(fake.base_url or "", fake.organization_id, "not-the-token") as c:
        with pytest.raises(PermanentError) as refused:
            c.get_template(fake.template_ids()[0])
        assert "not-the-token" not in repr(c)
    assert refused.value.status == 401
    assert refused.value.message == says.UNAUTHORIZED


def test_field_errors_come_back_verbatim(client: CredlyClient, template_id: str) -> None:
    with pytest.raises(PermanentError) as refused:
        client.issue_badge(template_id, "not-an-address", "", "Lovelace", ISSUED_AT, "sub-x")
    assert refused.value.message == ("Validation failed: Issued to first name can't be blank, "
                                     "Recipient email is invalid")

    with pytest.raises(PermanentError) as wrong_type:
        client.issue_badge(template_id, "ada@example.com", "Ada", "Lovelace", ISSUED_AT,
                           123)  # type: ignore[arg-type]
    assert wrong_type.value.message == "Validation failed: Issuer earner id must be a string"


def test_expiry_dates(client: CredlyClient, template_id: str) -> None:
    later = ISSUED_AT + timedelta(days=730)
    assert issue(client, template_id, "a@example.com", expires_at=later)["expires_at"] == (
        "2026-05-01T09:41:00.000Z")  # 2024 is a leap year
    assert issue(client, template_id, "b@example.com", expires_at=False)["expires_at"] is None
    with pytest.raises(PermanentError, match="Expires at must be after issued at"):
        issue(client, template_id, "c@example.com", expires_at=ISSUED_AT - timedelta(days=1))
    with pytest.raises(ValueError, match="naive"):
        client.issue_badge(template_id, "d@example.com", "A", "L", datetime(2024, 5, 1), "s")


def test_templates_and_events(fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    assert len(list(client.list_templates())) == 5
    assert [t["state"] for t in client.list_templates(state="archived")] == ["archived"]
    badge = issue(client, template_id)
    fake.accept(badge["id"])

    events = list(client.list_events())
    assert [e["event_type"] for e in events] == ["badge.created", "badge.state.changed"]
    assert client.get_event(events[1]["id"])["badge"]["state"] == "accepted"


def test_base_url_may_already_end_in_v1(fake: FakeCredly, template_id: str) -> None:
    with CredlyClient(f"{fake.base_url}/v1/", fake.organization_id, TOKEN) as c:
        assert c.get_template(template_id)["id"] == template_id


def test_ids_that_are_not_credly_ids_never_reach_a_path(client: CredlyClient) -> None:
    with pytest.raises(ValueError, match="not a Credly id"):
        client.get_badge("../badge_templates")
