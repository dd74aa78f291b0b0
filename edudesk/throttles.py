"""The API's request rates, per address before sign-in and per person after."""

# A module apart from edudesk.api: DRF imports these classes while it defines APIView, which
# edudesk.api itself imports.

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """API_THROTTLE_ANON per address, read at each request (DRF reads its own rates once)."""

    def get_rate(self) -> str:
        return settings.API_THROTTLE_ANON


class PersonThrottle(UserRateThrottle):
    """API_THROTTLE_USER per signed-in person."""

    def get_rate(self) -> str:
        return settings.API_THROTTLE_USER
