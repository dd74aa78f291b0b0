"""ApiClient against real HTTP servers on 127.0.0.1: timeouts, auth, budget, errors, links."""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import requests

from integrations import retry
from integrations.errors import PermanentError, RateLimited, TransientError
from integrations.http import ApiClient, BasicAuth, BearerAuth

SECRET = "s3cret-token-value"
Route = Callable[[BaseHTTPRequestHandler], None]


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
          delay: float = 0.0) -> Route:
    """A route answering `body` (a dict as JSON, a str as text) after `delay` seconds."""
    def route(h: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        raw = json.dumps(body).encode() if isinstance(body, dict | list) else (body or "").encode()
        h.send_response(status)
        ctype = "application/json" if isinstance(body, dict | list) else "text/plain"
        for name, value in {"Content-Type": ctype, **(headers or {})}.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(raw)))
        h.end_headers()
        h.wfile.write(raw)
    return route


class Seen(NamedTuple):
    method: str
    path: str  # with its query
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def _any(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(Seen(self.command, self.path, dict(self.headers)))
        route = self.server.routes.get(urlsplit(self.path).path, reply(404, "no route"))
        if isinstance(route, list):  # a script: one answer per request, the last repeats
            route = route.pop(0) if len(route) > 1 else route[0]
        route(self)

    do_GET = do_POST = do_PUT = _any

    def log_message(self, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    """Answers each path from `routes` and remembers every request it saw."""

    daemon_threads = True

    def __init__(self) -> None:
        self.routes: dict[str, Route | list[Route]] = {}
        self.seen: list[Seen] = []
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is what some tests are about


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as s:
        yield s
        s.shutdown()


@pytest.fixture
def other() -> Iterator[Server]:
    """Another origin (same address, another port): must never see our credentials."""
    with Server() as s:
        yield s
        s.shutdown()


class Budget:
    def __init__(self, server: Server | None = None) -> None:
        self.server = server
        self.acquired: list[tuple[str, int]] = []  # (path, requests the server had seen)
        self.paused: list[float] = []

    def acquire(self, path: str) -> None:
        self.acquired.append((path, len(self.server.seen) if self.server else -1))

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


class DemoClient(ApiClient):
    """An adapter as the real ones are built: a prefix in _url, operations over _request."""

    def _url(self, path: str) -> str:
        return f"{self.base_url}/v1/{path.lstrip('/')}"

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._request("GET", path, **kwargs)

    def items(self, path: str) -> Iterator[Any]:
        url: str | None = path
        while url:
            body = self._request("GET", url)
            yield from body["items"]
            url = body.get("next")


class RecordingSession(requests.Session):
    """A real session that remembers the keyword arguments of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append(kwargs)
        return super().request(method, url, **kwargs)


def client_for(server: Server, **kwargs: Any) -> DemoClient:
    kwargs.setdefault("auth", BearerAuth(SECRET))
    kwargs.setdefault("timeout", (1, 2))
    return DemoClient(server.url, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- transport -----------------------------------------------------------------------------
def test_every_request_has_timeout_auth_and_no_redirects_and_session_stays_clean(server):
    server.routes["/v1/a"] = reply(200, {"ok": 1})
    session = RecordingSession()
    client = client_for(server, session=session, timeout=(1.5, 4))
    assert client.get("a") == {"ok": 1}
    assert client._request("PUT", "a", json={"x": 1}, expect_json=False).status_code == 200
    assert [c["timeout"] for c in session.calls] == [(1.5, 4), (1.5, 4)]
    assert all(c["allow_redirects"] is False for c in session.calls)
    assert [s.headers.get("Authorization") for s in server.seen] == [f"Bearer {SECRET}"] * 2
    assert session.auth is None and "Authorization" not in session.headers


def test_constructor_requires_a_timeout_and_refuses_credentials_in_base_url():
    with pytest.raises(ValueError, match="timeout"):
        DemoClient("http://127.0.0.1:1", timeout=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="credentials") as info:
        DemoClient(f"https://ada:{SECRET}@example.com")
    assert SECRET not in str(info.value)


def test_server_slower_than_the_read_timeout_is_transient(server):
    server.routes["/v1/slow"] = reply(200, {"late": True}, delay=1.0)
    started = time.monotonic()
    with pytest.raises(TransientError) as info:
        client_for(server, timeout=(1, 0.1)).get("slow", params={"api_key": SECRET})
    assert time.monotonic() - started < 0.9
    assert info.value.status is None
    assert str(info.value) == "GET /v1/slow: ReadTimeout"  # method and path, no query


def test_refused_connection_is_transient_and_bad_request_is_permanent():
    client = DemoClient(f"http://127.0.0.1:{free_port()}", timeout=(1, 1))
    with pytest.raises(TransientError, match=r"^GET /v1/x: ConnectionError$"):
        client.get("x")
    with pytest.raises(PermanentError, match="InvalidHeader"):
        client.get("x", headers={"X-Bad": "a\nb"})  # refused by requests before sending


def test_response_cut_mid_body_is_transient(server):
    def cut(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.write(b"10\r\n{\"partial")
        h.close_connection = True

    server.routes["/v1/cut"] = cut
    with pytest.raises(TransientError, match="ChunkedEncodingError"):
        client_for(server).get("cut")


@pytest.mark.parametrize(("status", "kind"), [(503, TransientError), (500, TransientError),
                                              (404, PermanentError), (401, PermanentError)])
def test_non_2xx_maps_through_error_from_response(server, status, kind):
    server.routes["/v1/e"] = reply(status, {"error": "Nope", "description": "said the server"})
    with pytest.raises(kind) as info:
        client_for(server).get("e")
    assert type(info.value) is kind
    assert info.value.status == status and info.value.message == "Nope: said the server"


def test_2xx_bodies(server):
    server.routes["/v1/html"] = reply(200, "<html>maintenance</html>")
    server.routes["/v1/list"] = reply(200, [1, 2])
    server.routes["/v1/empty"] = reply(204)
    client = client_for(server)
    with pytest.raises(TransientError, match="non-JSON 2xx body"):
        client.get("html")
    with pytest.raises(TransientError, match="unexpected JSON body"):
        client.get("list")
    assert client.get("empty") == {}
    assert client.get("html", expect_json=False).text == "<html>maintenance</html>"


# ---- rate limits ---------------------------------------------------------------------------
@pytest.mark.parametrize(("headers", "body", "low", "high"), [
    ({"Retry-After": "7"}, "Too many requests", 7, 7),
    ({"Retry-After": "0.5"}, "", 0.5, 0.5),
    ({"Retry-After": "HTTP-date 30 s from now"}, "", 27, 31),
    ({}, "Rate limited, retry after 5 seconds", 5, 5),
    ({}, "12", 12, 12),
    ({}, "429 Too Many Requests", 1, 1),  # a status code is not a wait: the default
])
def test_429_retry_after_from_header_date_or_plain_text_body(server, headers, body, low, high):
    if headers.get("Retry-After", "").startswith("HTTP-date"):  # dated when the test runs
        headers = {"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)}
    server.routes["/v1/busy"] = reply(429, body, headers)
    budget = Budget()
    with pytest.raises(RateLimited) as info:
        client_for(server, rate_budget=budget).get("busy")
    assert low <= info.value.retry_after <= high
    assert budget.paused == [info.value.retry_after]


def test_budget_is_acquired_once_per_request_before_it_is_sent(server):
    # A same-origin link is followed, with auth; _send carries only the auth it is given.
    server.routes["/v1/things"] = reply(200, {"items": [1, 2], "next": f"{server.url}/v1/more?c=x"})
    server.routes["/v1/more"] = reply(200, {"items": [3]})
    server.routes["/v1/hook"] = reply(200, {})
    budget = Budget(server)
    client = client_for(server, rate_budget=budget)
    assert list(client.items("things")) == [1, 2, 3]
    client._send("POST", f"{server.url}/v1/hook", json={})
    assert budget.acquired == [("/v1/things", 0), ("/v1/more", 1), ("/v1/hook", 2)]
    assert [s.headers.get("Authorization") for s in server.seen] == [f"Bearer {SECRET}"] * 2 + [None]
    assert budget.paused == []


def test_budget_without_pause_is_fine_on_429(server):
    server.routes["/v1/busy"] = reply(429, "", {"Retry-After": "3"})
    acquire_only = type("AcquireOnly", (), {"acquire": lambda self, path: None})()
    with pytest.raises(RateLimited):
        client_for(server, rate_budget=acquire_only).get("busy")


# ---- credentials stay home -----------------------------------------------------------------
def test_redirect_is_not_followed_and_auth_never_reaches_another_host(server, other):
    other.routes["/v1/steal"] = reply(200, {"stolen": True})
    server.routes["/v1/moved"] = reply(302, "", {"Location": f"{other.url}/v1/steal"})
    with pytest.raises(PermanentError) as info:
        client_for(server).get("moved")
    assert info.value.status == 302
    assert other.seen == []
    assert len(server.seen) == 1


@pytest.mark.parametrize("link", [
    "{other}/v1/page2",  # another port
    "https://{host}/v1/page2",  # another scheme
    "http://user:pw@{host}/v1/page2",  # userinfo would override our auth
    "http://{host}:abc/v1/page2",  # malformed port
])
def test_pagination_link_off_our_origin_is_refused(server, other, link):
    link = link.format(other=other.url, host=urlsplit(server.url).netloc)
    server.routes["/v1/things"] = reply(200, {"items": [1], "next": link})
    other.routes["/v1/page2"] = reply(200, {"items": [2]})
    client = client_for(server)
    with pytest.raises(PermanentError, match="another host") as info:
        list(client.items("things"))
    assert other.seen == [] and len(server.seen) == 1
    assert "page2" not in str(info.value) and "pw" not in str(info.value)


@pytest.mark.parametrize("auth", [BearerAuth(SECRET), BasicAuth("ada@example.com/token", SECRET)])
def test_credentials_absent_from_repr_errors_tracebacks_and_logs(server, caplog, auth):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    server.routes["/v1/denied"] = reply(401, "Couldn't authenticate you")
    client = client_for(server, auth=auth)
    assert repr(client) == f"DemoClient({server.url!r})"
    assert SECRET not in repr(client) and SECRET not in repr(client.fork())
    assert SECRET not in repr(auth)
    errors = []
    # A query can hold secrets too: in a followed link, or in params.
    with pytest.raises(PermanentError) as info:
        client.get(f"{server.url}/v1/denied?cursor=q-private")
    errors.append(info.value)
    with pytest.raises(TransientError) as info:
        DemoClient(f"http://127.0.0.1:{free_port()}", auth=auth).get(
            "gone", params={"cursor": "q-private"})
    errors.append(info.value)
    for exc in errors:
        text = str(exc) + "".join(traceback.format_exception_only(exc))
        assert SECRET not in text and "q-private" not in text, text
        # No chained cause: requests' exceptions repeat the full URL with its query.
        assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    assert [str(e) for e in errors] == ["HTTP 401: Couldn't authenticate you",
                                        "GET /v1/gone: ConnectionError"]
    assert SECRET not in caplog.text  # auth headers are never logged, by anyone
    ours = [r.getMessage() for r in caplog.records if r.name == "integrations.http"]
    assert len(ours) == 2 and not any("q-private" in m for m in ours)


def test_fork_shares_account_and_budget_on_a_new_session(server):
    server.routes["/v1/a"] = reply(200, {"ok": 1})
    budget = Budget()
    client = client_for(server, rate_budget=budget)
    twin = client.fork()
    assert twin.session is not client.session
    assert (twin.base_url, twin.timeout, twin.rate_budget) == (
        client.base_url, client.timeout, client.rate_budget)
    assert twin.get("a") == {"ok": 1}
    assert server.seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert budget.acquired == [("/v1/a", -1)]
    twin.close()
    assert client.get("a") == {"ok": 1}  # closing the fork leaves the original usable


# ---- with the retry policy ---------------------------------------------------------------
def test_retry_policy_over_http_honours_retry_after_then_backs_off(server):
    server.routes["/v1/flaky"] = [reply(429, "", {"Retry-After": "4"}), reply(503, "down"),
                                  reply(200, {"ok": True})]
    waits: list[float] = []
    policy = retry.RetryPolicy(base_seconds=1, max_seconds=10, max_attempts=3, jitter=0)
    assert policy.call(lambda: client_for(server).get("flaky"), sleep=waits.append) == {
        "ok": True}
    assert waits == [4.0, 2.0]  # the server's Retry-After, then base * 2**(2-1)
    assert len(server.seen) == 3
