"""Fixtures the access-request tests share."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def newcomer(db):
    """Someone signed in through Okta with no role yet."""
    return UserFactory(username="lee", first_name="Lee", last_name="Park",
                       email="lee@edudesk.example")
