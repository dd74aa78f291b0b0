"""Credly JSON (as the fake serves it) to badge and template field values; malformed items refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.credly import mapping
from integrations.credly.client import CredlyClient
from integrations.credly.fake import FakeCredly
from tests.integrations.credly.support import ISSUED_AT, issue

WHEN = datetime(2024, 5, 2, 8, 30, tzinfo=UTC)


def test_a_pending_badge(client: CredlyClient, template_id: str) -> None:
    badge = issue(client, template_id, "Ada@Example.com", issuer_earner_id="sub-1",
                  expires_at=datetime(2026, 5, 1, tzinfo=UTC))

    fields = mapping.badge_fields(badge)

    assert fields == {
        "credly_id": badge["id"], "template_credly_id": template_id,
        "template_name": badge["badge_template"]["name"],
        "recipient_email": "ada@example.com", "recipient_first_name": "Ada",
        "recipient_last_name": "Lovelace", "recipient_name": "Ada Lovelace",
        "issuer_earner_id": "sub-1", "state": "pending", "issued_at": ISSUED_AT,
        "accepted_at": None, "rejected_at": None, "revoked_at": None,
        "expires_at": datetime(2026, 5, 1, tzinfo=UTC), "revocation_reason": "",
        "replaces_credly_id": None, "replaced_by_credly_id": None,
        "badge_url": badge["badge_url"], "upstream_updated_at": fields["upstream_updated_at"],
    }
    assert fields["upstream_updated_at"].tzinfo is not None


def test_state_times_come_from_state_updated_at(fake: FakeCredly, client: CredlyClient,
                                                template_id: str) -> None:
    fake.clock = lambda: WHEN
    accepted, revoked = issue(client, template_id, "a@example.com"), issue(
        client, template_id, "b@example.com")
    fake.accept(accepted["id"])
    client.revoke_badge(revoked["id"], "exam annulled")

    a = mapping.badge_fields(client.get_badge(accepted["id"]))
    r = mapping.badge_fields(client.get_badge(revoked["id"]))

    assert (a["state"], a["accepted_at"], a["revoked_at"]) == ("accepted", WHEN, None)
    assert (r["state"], r["revoked_at"], r["revocation_reason"]) == (
        "revoked", WHEN, "exam annulled")


@pytest.mark.parametrize("replaced_state", ["revoked", "replaced"])
def test_a_replaced_badge_maps_to_revoked_with_both_links(
        fake: FakeCredly, client: CredlyClient, template_id: str, replaced_state: str) -> None:
    fake.replaced_state = replaced_state
    old = issue(client, template_id, "typo@example.con")
    new = client.replace_badge(old["id"], template_id=template_id, issued_at=ISSUED_AT,
                               recipient_email="ada@example.com")

    before, after = mapping.badge_fields(client.get_badge(old["id"])), mapping.badge_fields(new)

    assert (before["state"], before["replaced_by_credly_id"]) == ("revoked", new["id"])
    assert (after["state"], after["replaces_credly_id"]) == ("pending", old["id"])


def _badge(**changes: Any) -> dict[str, Any]:
    item = {"id": "b-1", "state": "pending", "badge_template": {"id": "t-1", "name": "Git"},
            "recipient_email": "ada@example.com", "issued_at": "2024-05-01T09:41:00.000Z"}
    return {k: v for k, v in {**item, **changes}.items() if v is not ...}


@pytest.mark.parametrize(("item", "reason"), [
    (["not", "an", "object"], "not a JSON object"),
    (_badge(id=...), "without a usable id"),
    (_badge(id="../etc"), "without a usable id"),
    (_badge(state="archived"), "unknown state 'archived'"),
    (_badge(badge_template=...), "no badge template id"),
    (_badge(recipient_email="nobody"), "is not an address"),
    (_badge(issued_at=...), "no issued_at"),
    (_badge(issued_at="yesterday"), "issued_at 'yesterday' is not a time"),
    (_badge(expires_at="soon"), "expires_at 'soon' is not a time"),
])
def test_malformed_badges_are_refused_with_the_reason(item: Any, reason: str) -> None:
    with pytest.raises(mapping.Malformed, match=reason):
        mapping.badge_fields(item)


def test_a_minimal_badge_maps() -> None:
    fields = mapping.badge_fields(_badge(badge_template=..., badge_template_id="t-1",
                                         issued_to_first_name="\x00Ada "))
    assert (fields["template_credly_id"], fields["recipient_name"]) == ("t-1", "Ada")


def test_templates(client: CredlyClient) -> None:
    mapped = [mapping.template_fields(t) for t in client.list_templates()]
    assert [t["state"] for t in mapped] == ["active"] * 4 + ["archived"]
    assert all(t["name"].startswith("GitLab Certified") for t in mapped)
    assert mapped[0]["allows_duplicates"] is False


@pytest.mark.parametrize(("changes", "reason"), [
    ({"id": None}, "without a usable id"),
    ({"name": " "}, "no name"),
    ({"state": "deleted"}, "unknown state 'deleted'"),
    ({"allow_duplicate_badges": "no"}, "is not true or false"),
])
def test_malformed_templates_are_refused(changes: dict[str, Any], reason: str) -> None:
    item = {"id": "t-1", "name": "Git", "state": "active", **changes}
    with pytest.raises(mapping.Malformed, match=reason):
        mapping.template_fields(item)
