"""integrations.rows.update_each: one statement for many rows, refused when rows disagree."""

import pytest

from integrations import rows
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _row(subject: str) -> OutboxMessage:
    return OutboxMessage.objects.create(system="slack", action="post", subject=subject)


def test_each_row_gets_its_own_values_where_its_match_holds():
    a, b, c = _row("a"), _row("b"), _row("c")
    updated = rows.update_each(OutboxMessage, [
        ({"last_error": "one", "response": {"n": 1}}, {"pk": a.pk, "state": "queued"}),
        ({"last_error": "two", "response": {"n": 2}}, {"pk": b.pk, "state": "queued"}),
        ({"last_error": "three", "response": {"n": 3}}, {"pk": c.pk, "state": "sent"})])
    assert updated == 2
    assert {m.subject: (m.last_error, m.response) for m in OutboxMessage.objects.all()} == {
        "a": ("one", {"n": 1}), "b": ("two", {"n": 2}), "c": ("", {})}


def test_nothing_to_update_is_zero_rows():
    assert rows.update_each(OutboxMessage, []) == 0


@pytest.mark.parametrize("second", [
    ({"last_error": "x"}, {"subject": "b"}),        # another match field
    ({"response": {}}, {"pk": 2}),                  # another value field
])
def test_rows_naming_other_fields_are_refused(second):
    with pytest.raises(ValueError, match="same fields"):
        rows.update_each(OutboxMessage, [({"last_error": "x"}, {"pk": 1}), second])


def test_a_match_on_none_is_refused():
    with pytest.raises(ValueError, match="None"):
        rows.update_each(OutboxMessage, [({"last_error": "x"}, {"claimed_until": None})])
