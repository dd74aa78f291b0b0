"""Base class for upstream API clients: timeouts, per-request auth, a shared rate budget, mapped errors."""

from __future__ import annotations

import copy
import logging
import time
from typing import Any, Literal, Protocol, Self, overload
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from integrations.errors import PermanentError, RateLimited, TransientError, error_from_response

log = logging.getLogger(__name__)

Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (3.05, 30)
# Errors where no response arrived (or only part of one): the same request may succeed later.
NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RateBudget(Protocol):
    """acquire(path) blocks until one more request to `path` may be sent.

    A budget may also have pause(seconds): the client calls it on a 429, so that every worker
    sharing the budget waits, not only the one that was refused. Paths can be secrets (an
    incoming webhook's), so a budget keys on them but never logs them.
    """

    def acquire(self, path: str) -> None: ...


class BearerAuth(AuthBase):
    """Authorization: Bearer <token>, set on each request (never on the session)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class BasicAuth(HTTPBasicAuth):
    """HTTP Basic auth whose repr hides the password."""

    def __repr__(self) -> str:
        return "BasicAuth(***)"


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of `url`; None when it carries userinfo (which we never send)
    or is malformed."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin of ours
        return None
    if parts.username is not None or parts.password is not None:
        return None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), port or _DEFAULT_PORTS.get(scheme)


class ApiClient:
    """One requests.Session per client; each request has a timeout, its own auth, a budget slot.

    Subclasses give `auth` to __init__, override `_url(path)` for their API's layout, and call
    `_request()`; it returns the decoded JSON object (or the Response with expect_json=False)
    and raises integrations.errors.* for everything else. The caller owns retries.
    """

    def __init__(self, base_url: str, *, auth: AuthBase | None = None,
                 timeout: Timeout = DEFAULT_TIMEOUT, session: requests.Session | None = None,
                 rate_budget: RateBudget | None = None) -> None:
        if timeout is None:
            raise ValueError("a timeout is required: without one a dead peer hangs the worker")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.rate_budget = rate_budget
        # Auth goes on each request rather than on the session, so a shared session is not
        # mutated and nothing but our own requests to base_url ever carries it.
        self._auth = auth
        self._base_origin = _origin(self.base_url)
        if self._base_origin is None:
            raise ValueError("base_url must not hold credentials; pass them as auth")

    def __repr__(self) -> str:  # base URL only: credentials live in _auth, which is never shown
        return f"{type(self).__name__}({self.base_url!r})"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fork(self) -> Self:
        """The same account and budget on a new session, for use from another thread."""
        twin = copy.copy(self)
        twin.session = requests.Session()
        twin._owns_session = True
        return twin

    # ---- hooks for subclasses --------------------------------------------------------------
    def _url(self, path: str) -> str:
        """The absolute URL of an API path; subclasses add their prefix (e.g. /api/v2)."""
        return f"{self.base_url}/{path.lstrip('/')}"

    @overload
    def _request(self, method: str, path_or_url: str, *, params: dict[str, Any] | None = ...,
                 json: Any = ..., data: Any = ..., headers: dict[str, str] | None = ...,
                 expect_json: Literal[True] = ...) -> dict[str, Any]: ...

    @overload
    def _request(self, method: str, path_or_url: str, *, params: dict[str, Any] | None = ...,
                 json: Any = ..., data: Any = ..., headers: dict[str, str] | None = ...,
                 expect_json: Literal[False]) -> requests.Response: ...

    def _request(self, method: str, path_or_url: str, *, params: dict[str, Any] | None = None,
                 json: Any = None, data: Any = None, headers: dict[str, str] | None = None,
                 expect_json: bool = True) -> dict[str, Any] | requests.Response:
        """One authenticated request to an API path, or to an absolute URL on base_url's
        scheme and host (a pagination link); links elsewhere are refused."""
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != self._base_origin:
                # A server-supplied link must not take our credentials to another host.
                foreign = urlsplit(path_or_url)
                raise PermanentError(
                    f"refusing to follow a link to another host: {foreign.scheme}://{foreign.hostname}")
            url = path_or_url
        else:
            url = self._url(path_or_url)
        resp = self._send(method, url, auth=self._auth, params=params, json=json, data=data,
                          headers=headers)
        return self._decode(resp, f"{method} {urlsplit(url).path}") if expect_json else resp

    # ---- transport -------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, auth: AuthBase | None = None,
              label: str | None = None, params: dict[str, Any] | None = None, json: Any = None,
              data: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
        """One request to a resolved URL: budget, timeout, no redirects, errors mapped.

        `label` replaces "METHOD /path" in errors and logs where the path itself is a secret
        (an incoming-webhook URL). Queries are never shown: they can hold tokens or cursors.
        """
        path = urlsplit(url).path or "/"
        what = label or f"{method} {path}"
        if self.rate_budget is not None:
            self.rate_budget.acquire(path)
        started = time.monotonic()
        try:
            # No redirects: a redirect could replay a POST as GET, or lead off our host.
            resp = self.session.request(method, url, params=params, json=json, data=data,
                                        headers=headers, auth=auth, timeout=self.timeout,
                                        allow_redirects=False)
        except NETWORK_ERRORS as exc:
            log.info("%s %s failed: %s", type(self).__name__, what, type(exc).__name__)
            # from None: requests' own text and its cause repeat the full URL with its query.
            raise TransientError(f"{what}: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise PermanentError(f"{what}: {type(exc).__name__}") from None
        log.debug("%s %s -> %s in %.0f ms", type(self).__name__, what, resp.status_code,
                  (time.monotonic() - started) * 1000)
        if not 200 <= resp.status_code < 300:
            error = error_from_response(resp)
            pause = getattr(self.rate_budget, "pause", None)
            if isinstance(error, RateLimited) and pause is not None:
                # The upstream counts per account: every worker sharing the budget must wait.
                pause(error.retry_after)
            raise error
        return resp

    @staticmethod
    def _decode(resp: requests.Response, what: str) -> dict[str, Any]:
        """The JSON object of a 2xx response; {} when it has no body."""
        if resp.status_code == 204 or not resp.content:
            return {}
        try:
            body = resp.json()
        except ValueError:
            # A 2xx that is not JSON is a proxy or gateway talking; the write may or may not
            # have happened, which is what TransientError plus an idempotency key covers.
            raise TransientError(f"{what}: non-JSON 2xx body", resp.status_code) from None
        if not isinstance(body, dict):
            raise TransientError(f"{what}: unexpected JSON body", resp.status_code)
        return body
