"""The fakes kit on its own: server, knobs, helpers and CLI, with a two-route toy service."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations.fakes import (
    FakeService,
    Request,
    Response,
    SlidingWindow,
    WSGIServer,
    cursor_page,
    decode_cursor,
    encode_cursor,
    json_response,
    offset_page,
    parse_form,
    parse_json,
    take,
)

REPO = Path(__file__).resolve().parents[2]


class Toy(FakeService):
    """Auth, then the budget, then faults, then GET /ping or POST /echo (a JSON object)."""

    name = "fake-toy"

    def respond(self, request: Request) -> Response:
        if not self.credential_ok(request.bearer_token()):
            return json_response(401, {"error": "unauthorized"})
        refused = self.throttle()
        if refused is not None:
            return refused
        if self.fault_due():
            return self.fault()
        if request.method == "GET" and request.path == "/ping":
            return json_response(200, {"pong": request.query.get("n")})
        if request.method == "POST" and request.path == "/echo":
            try:
                return json_response(200, request.json())
            except ValueError:
                return json_response(400, {"error": "bad json"})
        return json_response(404, {"error": "not found"})


def call(fake: FakeService, method: str = "GET", target: str = "/ping", bearer: str = "t",
         body: bytes = b"") -> Response:
    return fake.handle(Request.build(method, target, {"Authorization": f"Bearer {bearer}"}, body))


@pytest.fixture
def toy() -> Iterator[Toy]:
    fake = Toy()
    fake.start()
    yield fake
    fake.stop()


def test_start_on_a_free_port_serves_and_stop_really_stops(toy):
    assert toy.base_url.startswith("http://127.0.0.1:")
    assert not toy.base_url.endswith(":0")
    with requests.Session() as s:  # keep-alive: stop() must close this connection too
        r = s.get(f"{toy.base_url}/ping", params={"n": "1"}, headers={"Authorization": "Bearer x"},
                  timeout=5)
        assert r.status_code == 200 and r.json() == {"pong": "1"}
        assert r.headers["Server"] == "fake-toy"
        assert s.post(f"{toy.base_url}/echo", json={"a": [1]}, headers={
            "Authorization": "Bearer x"}, timeout=5).json() == {"a": [1]}
        toy.stop()
        with pytest.raises(requests.ConnectionError):
            s.get(f"{toy.base_url}/ping", headers={"Authorization": "Bearer x"}, timeout=2)
    assert [(r.method, r.path, r.status) for r in toy.request_log] == [
        ("GET", "/ping", 200), ("POST", "/echo", 200)]


def test_two_fakes_get_two_ports_and_any_wsgi_app_can_be_served():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode(), b"?", environ["QUERY_STRING"].encode()]

    a, b = WSGIServer(app), WSGIServer(app)
    try:
        assert a.start() != b.start()
        assert requests.get(f"{a.base_url}/x%20y?q=1", timeout=5).text == "/x y?q=1"
        with pytest.raises(RuntimeError):
            a.start()
    finally:
        a.stop()
        b.stop()


def test_sliding_window_gives_429_with_retry_after_until_the_window_moves():
    fake = Toy(rate_limit=2, rate_limit_window=30)
    assert [call(fake).status for _ in range(2)] == [200, 200]
    refused = call(fake)
    assert refused.status == 429 and dict(refused.headers)["Retry-After"] == "30"
    assert fake.max_requests_in_any_window(1.0) == 3  # the refused request was still sent

    w = SlidingWindow(limit=1, window=10)
    assert take([w], now=100.0) is None
    assert take([w], now=104.2) == 6  # whole seconds, rounded up
    assert take([w], now=110.0) is None


def test_take_is_all_or_nothing():
    small, big = SlidingWindow(1, 60), SlidingWindow(5, 60)
    assert take([small, big], 0.0) is None
    assert take([small, big], 1.0) == 59
    assert big.remaining(1.0) == 4  # the refused request did not use up the other budget


def test_error_rate_is_reproducible_by_seed():
    def statuses(seed: int) -> list[int]:
        fake = Toy(error_rate=0.5, fault_seed=seed)
        return [call(fake).status for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) > {200} and set(first) <= {200, 500, 502, 503}
    assert first != statuses(8)


def test_token_none_accepts_any_credential_and_a_set_token_only_itself():
    open_fake, locked = Toy(), Toy(token="s3cret")
    assert call(open_fake, bearer="anything").status == 200
    assert call(open_fake, bearer="").status == 401
    assert call(locked, bearer="guess").status == 401
    assert call(locked, bearer="s3cret").status == 200


def test_latency_and_internal_errors():
    class Broken(FakeService):
        def respond(self, request: Request) -> Response:
            raise KeyError("oops")

    resp = Broken(latency_ms=20).handle(Request.build("GET", "/"))
    assert resp.status == 500 and b"KeyError" in resp.body


def test_request_helpers_are_strict():
    assert parse_json(b'{"a": 1}') == {"a": 1}
    for bad in (b"{", b"NaN", b'{"a": Infinity}', b"\xff"):
        with pytest.raises(ValueError):
            parse_json(bad)
    assert parse_form(b"a=1&b=&a=2") == {"a": "2", "b": ""}
    with pytest.raises(ValueError):
        parse_form(b"justtext")
    req = Request.build("post", "/p%C3%A4th?x=1&y=", {"Content-Type": "Application/JSON; x=y"})
    assert (req.method, req.path, req.query, req.content_type) == (
        "POST", "/päth", {"x": "1"}, "application/json")
    basic = Request.build("GET", "/", {"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.basic_auth() == ("user", "pw") and basic.bearer_token() is None


def test_pagination_helpers():
    cursor = encode_cursor(12, 3)
    assert decode_cursor(cursor, 2) == (12, 3)
    with pytest.raises(ValueError):
        decode_cursor(cursor, 1)
    with pytest.raises(ValueError):
        decode_cursor("%%%", 1)
    page, number = offset_page({"page": "3", "per_page": "10"}, count=25)
    assert (page.start, page.stop, page.size, number) == (20, 25, 10, 3)
    with pytest.raises(ValueError):
        offset_page({"page": "2", "per_page": "100"}, count=10**6, max_records=100)
    ids = list(range(10, 110, 10))  # ten items with ids 10..100; pos_after(id) by search

    def pos_after(i: int) -> int:
        return sum(1 for x in ids if x <= i)

    after = cursor_page({"page[size]": "3", "page[after]": encode_cursor(30)}, 10, pos_after)
    before = cursor_page({"page[size]": "3", "page[before]": encode_cursor(30)}, 10, pos_after)
    assert (after.start, after.stop) == (3, 6) and (before.start, before.stop) == (0, 2)


TOY_CLI = textwrap.dedent("""
    import sys
    from integrations.fakes import FakeService, cli, json_response

    class Toy(FakeService):
        def respond(self, request):
            if not self.credential_ok(request.bearer_token()):
                return json_response(401, {"error": "unauthorized"})
            return self.throttle() or json_response(200, {"rate_limit": self.rate_limit})

    p = cli.parser("A toy fake.")
    p.add_argument("--greeting", default="hi")
    cli.run(p, lambda args, knobs: Toy(**knobs), sys.argv[1:],
            lambda fake, args: [f"greeting {args.greeting}"])
""")


def test_cli_prints_base_url_and_serves_until_sigterm():
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own code
        [sys.executable, "-c", TOY_CLI, "--port", "0", "--token", "tok", "--rate-limit", "5",
         "--greeting", "hello"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        assert proc.stdout.readline().strip() == "greeting hello"
        ok = requests.get(base, headers={"Authorization": "Bearer tok"}, timeout=5)
        assert ok.json() == {"rate_limit": 5}
        assert requests.get(base, headers={"Authorization": "Bearer no"}, timeout=5
                            ).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0  # a clean stop, not death by signal
