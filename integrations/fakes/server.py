"""A threaded HTTP/1.1 keep-alive WSGI server on loopback that starts on a free port and stops at once."""

from __future__ import annotations

import io
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Handler(BaseHTTPRequestHandler):
    # wsgiref speaks one request per connection; keep-alive matches real APIs behind a load
    # balancer and spares a client that syncs thousands of pages a handshake per request.
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give their thread back eventually
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (40 ms on Linux), which capped a keep-alive client at ~25 requests/s.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "",
            # PEP 3333: PATH_INFO is decoded, carried as latin-1 so that any byte survives.
            "PATH_INFO": unquote(path, "latin-1"), "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)) if body else "",
            "SERVER_NAME": self.server.server_name, "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return chunks.append

        result = self.server.app(self._environ(body), start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        code, _, reason = status.partition(" ")
        data = b"".join(chunks)
        self.send_response(int(code), reason or None)
        for name, value in headers:
            if name.lower() != "content-length":  # recomputed: the body is already complete
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def version_string(self) -> str:
        return self.server.software  # the Server header names the fake, not BaseHTTP

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # fakes keep their own request log; request lines on stderr would drown test output


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: WSGIApp, software: str) -> None:
        self.app, self.software = app, software
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
        """Drop kept-alive sockets so a stopped server really stops answering."""
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WSGIServer:
    """Serves one WSGI app from a daemon thread; `start(port=0)` picks a free port."""

    def __init__(self, app: WSGIApp, name: str = "fake-server") -> None:
        self.app, self.name = app, name
        self.base_url: str | None = None
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        return self._server.server_port if self._server else None

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Listen on host:port (0: any free port) and return the base URL, 'http://host:port'."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running at {self.base_url}")
        self._server = _HTTPServer((host, port), self.app, self.name)
        self.base_url = f"http://{host}:{self._server.server_port}"
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=self.name, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop accepting, close kept-alive connections and wait for the serving thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
