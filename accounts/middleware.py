"""Sessions end after SESSION_IDLE_MINUTES without the person doing anything."""

import time

# Requests a page makes on its own (presence heartbeats, live counts, status polls): they
# must not keep a session alive, or a tab left open would never be signed out.
BACKGROUND_ROUTES = frozenset({"tickets:presence", "tickets:view-counts", "zendesk:status"})
# Moving the expiry is a session write; once a minute keeps SQLite's single writer free.
REFRESH_SECONDS = 60
SEEN_KEY = "edudesk_seen_at"


def mark_seen(session) -> None:
    """The person was active now (their sign-in counts: it saves the session anyway)."""
    session[SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    """SESSION_COOKIE_AGE is the idle limit: each request the person makes saves the session
    again (at most once a minute), which moves both the stored and the cookie expiry on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if not request.user.is_authenticated or (match and match.view_name in BACKGROUND_ROUTES):
            return None
        if time.time() - request.session.get(SEEN_KEY, 0) >= REFRESH_SECONDS:
            mark_seen(request.session)
        return None
