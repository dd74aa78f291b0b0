"""A database or broker that cannot be reached is answered 503 with a plain message, not 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


def _unreachable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        import redis

        errors += [redis.ConnectionError, redis.TimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerError

        errors.append(BrokerError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


UNREACHABLE = _unreachable_errors()
MESSAGE = ("EduDesk cannot reach its database or message broker right now. Nothing you "
           "sent was lost if you saw no confirmation; try again in a minute.")


class ServiceUnavailableMiddleware:
    """Turns "cannot reach a backing service" into 503 with Retry-After.

    The page is rendered without a request context: the context processors would query the
    very database that is down. A webhook sender reads the 503 as "retry later".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNREACHABLE):
            return None
        log.error("backing service unreachable on %s: %s", request.path,
                  type(exception).__name__)
        if request.path.startswith(("/api/", "/hooks/", "/healthz")):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}),
                                    status=503)
        response["Retry-After"] = "30"
        return response
