"""HTTP plumbing for the fake Zendesk: threaded server, responses, pagination and rate windows."""

from __future__ import annotations

import base64
import json
import math
import socket
import socketserver
import sys
import threading
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode


class FakeResponse(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None
                  ) -> FakeResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return FakeResponse(status, [("Content-Type", "application/json; charset=utf-8"),
                                 *(headers or [])], body)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8",
                  headers: list[tuple[str, str]] | None = None) -> FakeResponse:
    return FakeResponse(status, [("Content-Type", content_type), *(headers or [])], text.encode())


def error(status: int, err: str, description: str, details: Any = None) -> FakeResponse:
    payload: dict[str, Any] = {"error": err, "description": description}
    if details is not None:
        payload["details"] = details
    return json_response(status, payload)


def encode_cursor(*parts: int) -> str:
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, n: int) -> tuple[int, ...]:
    """Inverse of encode_cursor; raises ValueError on anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        parts = tuple(int(p) for p in raw.split(":"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if len(parts) != n:
        raise ValueError("invalid cursor")
    return parts


def int_param(query: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer") from exc
    return min(max(value, lo), hi)


def paginate(query: dict[str, str], url: str, key: str, count: int,
             get: Callable[[int, int], list[dict[str, Any]]],
             pos_after: Callable[[int], int], max_size: int = 100) -> dict[str, Any]:
    """Cursor pagination when any page[...] param is present, otherwise offset pagination.

    `get(start, stop)` renders items by position; `pos_after(id)` is the position of the first
    item whose id is greater than `id`, so cursors survive inserts (ids only grow).
    """
    if not any(k.startswith("page[") for k in query):
        per_page = int_param(query, "per_page", max_size, 1, max_size)
        page = int_param(query, "page", 1, 1, 10**9)
        if page * per_page > 10_000:  # Zendesk refuses offset paging past 10,000 records
            raise ValueError("Offset pagination is limited to the first 10,000 records")
        start = (page - 1) * per_page
        items = get(start, min(start + per_page, count))

        def link(p: int) -> str:
            return f"{url}?{urlencode({'page': p, 'per_page': per_page})}"
        return {key: items, "count": count,
                "next_page": link(page + 1) if start + per_page < count else None,
                "previous_page": link(page - 1) if page > 1 else None}
    size = int_param(query, "page[size]", max_size, 1, max_size)
    if "page[after]" in query:
        start = pos_after(decode_cursor(query["page[after]"], 1)[0])
        stop = min(start + size, count)
    elif "page[before]" in query:
        stop = pos_after(decode_cursor(query["page[before]"], 1)[0] - 1)
        start = max(stop - size, 0)
    else:
        start, stop = 0, min(size, count)
    items = get(start, stop)
    after = encode_cursor(items[-1]["id"]) if items else None
    before = encode_cursor(items[0]["id"]) if items else None
    has_more = stop < count
    nxt = f"{url}?{urlencode({'page[size]': size, 'page[after]': after})}" if has_more else None
    prev = (f"{url}?{urlencode({'page[size]': size, 'page[before]': before})}"
            if start > 0 and before else None)
    return {key: items, "meta": {"has_more": has_more, "after_cursor": after,
                                 "before_cursor": before},
            "links": {"next": nxt, "prev": prev}}


class SlidingWindow:
    """Request times in the last `window` seconds; not thread-safe (the fake holds its lock)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()

    def retry_after(self, now: float) -> int | None:
        """Seconds until a slot frees up, or None if a request may go now."""
        self._trim(now)
        if len(self.times) < self.limit:
            return None
        return max(1, math.ceil(self.times[0] + self.window - now))

    def add(self, now: float) -> None:
        self.times.append(now)

    def remaining(self, now: float) -> int:
        self._trim(now)
        return max(self.limit - len(self.times), 0)


class Handles(Protocol):
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes
               ) -> FakeResponse: ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind a load balancer
    server_version = "FakeZendesk/1.0"
    timeout = 60  # idle keep-alive connections give their thread back eventually
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (40 ms on Linux), which capped a keep-alive client at ~25 requests/s.
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp = self.server.app.handle(self.command, self.path, headers, body)
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the fake keeps its own request_log; stderr noise would drown test output


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Handles) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), which can stall on a box without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is a scenario under test, not a fake bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Drop kept-alive sockets so a stopped fake really stops answering."""
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
