"""The inbox's configuration screens open for admins, and rotation changes there are audited."""

import pytest

from inbox.models import Rotation, Shift
from people.models import AuditEvent

MODELS = ["mailbox", "category", "categoryrule", "preparedresponse", "rotation", "shift",
          "override", "holiday", "calendarfeed"]


@pytest.mark.parametrize("model", MODELS)
def test_every_inbox_screen_opens(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/inbox/{model}/").status_code == 200
    if model not in ("calendarfeed",):
        assert client.get(f"/admin/inbox/{model}/add/").status_code == 200


def test_members_changed_in_the_admin_are_audited_and_planned(client, admin_user, agent,
                                                              other_agent):
    client.force_login(admin_user)
    rotation = Rotation.objects.get(name="LevelUp inbox")
    response = client.post(f"/admin/inbox/rotation/{rotation.pk}/change/", {
        "name": rotation.name, "time_zone": "America/Denver", "weeks_ahead": 4,
        "slack_channel": "#edu_services_team", "team": "",
        "members-TOTAL_FORMS": 2, "members-INITIAL_FORMS": 0, "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 1000,
        "members-0-user": agent.pk, "members-0-position": 0,
        "members-1-user": other_agent.pk, "members-1-position": 1,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.get(subject=rotation.subject_key, verb="members").summary == (
        "Members: ada, grace")
    assert AuditEvent.objects.filter(subject__startswith="inbox.rotationmember:",
                                     verb="config_added").count() == 2
    assert list(Shift.objects.filter(rotation=rotation).order_by("week_start")
                .values_list("member__username", flat=True)) == ["ada", "grace"] * 2 + ["ada"]


def test_a_time_zone_must_exist(client, admin_user):
    client.force_login(admin_user)
    rotation = Rotation.objects.get(name="LevelUp inbox")
    response = client.post(f"/admin/inbox/rotation/{rotation.pk}/change/", {
        "name": rotation.name, "time_zone": "Mars/Olympus", "weeks_ahead": 4,
        "slack_channel": "#x", "members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 0, "members-MAX_NUM_FORMS": 1000})
    assert response.status_code == 200 and "is not a time zone name" in response.content.decode()
