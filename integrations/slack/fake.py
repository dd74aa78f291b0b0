"""A loopback HTTP fake of Slack's chat.postMessage and incoming webhooks, for tests and demos."""

from __future__ import annotations

import argparse
import json
import random
import secrets
import threading
import time
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

DEFAULT_CHANNELS = ("#field-enablement-team", "#edu_services_team", "#ld-delegates")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a hung client must not keep the test process alive


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # request lines would include webhook secrets and clutter test output


class FakeSlack:
    """Thread-safe in-memory Slack: known channels, archived channels, posted messages."""

    def __init__(self, token: str | None = None, error_rate: float = 0.0,
                 rate_limit_per_second: float | None = None, retry_after_seconds: int = 1):
        self.token = token
        self.error_rate = error_rate
        self.rate_limit_per_second = rate_limit_per_second
        self.retry_after_seconds = retry_after_seconds
        self.rng = random.Random()  # reseed in tests that want reproducible fault injection
        self.lock = threading.RLock()
        self.channel_ids: dict[str, str] = {}  # name -> "C0001"
        self.channels: set[str] = set()  # names and IDs, both accepted as `channel`
        self.archived: set[str] = set()  # names or IDs
        self.messages: list[dict[str, Any]] = []
        self.webhooks: dict[str, str] = {}  # path -> channel name
        self._buckets: dict[str, tuple[float, float]] = {}  # channel id -> (tokens, at)
        self._last_ts_us = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        for name in DEFAULT_CHANNELS:
            self.add_channel(name)

    def add_channel(self, name: str) -> str:
        with self.lock:
            if name not in self.channel_ids:
                cid = f"C{len(self.channel_ids) + 1:04d}"
                self.channel_ids[name] = cid
                self.channels.update((name, cid))
            return self.channel_ids[name]

    def archive(self, channel: str) -> None:
        with self.lock:
            self.archived.add(channel)

    def add_webhook(self, channel: str) -> str:
        """Register an incoming webhook for `channel`; returns its path (join with base_url)."""
        with self.lock:
            path = f"/services/T0000FAKE/B{len(self.webhooks) + 1:04d}/{secrets.token_hex(12)}"
            self.webhooks[path] = channel
            return path

    def _resolve(self, channel: str) -> tuple[str, str] | None:
        """Return (id, name) of a known channel given either form, else None."""
        if channel not in self.channels:
            return None
        for name, cid in self.channel_ids.items():
            if channel in (name, cid):
                return cid, name
        return channel, channel  # added to `channels` directly by a test

    def _is_archived(self, cid: str, name: str) -> bool:
        return cid in self.archived or name in self.archived

    def _throttled(self, cid: str) -> bool:
        """Token bucket per channel: bursts up to max(1, rate), refilled at `rate` per second."""
        rate = self.rate_limit_per_second
        if rate is None:
            return False
        now, capacity = time.monotonic(), max(1.0, rate)
        tokens, at = self._buckets.get(cid, (capacity, now))
        tokens = min(capacity, tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[cid] = (tokens, now)
            return True
        self._buckets[cid] = (tokens - 1.0, now)
        return False

    def _record(self, cid: str, name: str, text: str, blocks: Any, thread_ts: str | None) -> dict:
        # Real ts values are unique per channel and sortable; microsecond steps guarantee both.
        us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = us
        ts = f"{us // 1_000_000}.{us % 1_000_000:06d}"
        msg = {"channel": cid, "channel_name": name, "text": text, "blocks": blocks,
               "ts": ts, "thread_ts": thread_ts}
        self.messages.append(msg)
        return msg

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        ctype = environ.get("CONTENT_TYPE", "")
        if path == "/api/chat.postMessage" and method == "POST":
            auth = environ.get("HTTP_AUTHORIZATION")
            status, headers, payload = self._post_message(auth, ctype, body)
        elif path.startswith("/services/") and method == "POST":
            status, headers, payload = self._webhook(path, ctype, body)
        elif path.startswith("/api/"):
            status, headers, payload = 404, [], {"ok": False, "error": "unknown_method"}
        else:
            status, headers, payload = 404, [], "not_found"
        if isinstance(payload, dict):
            data, ctype_out = json.dumps(payload).encode(), "application/json; charset=utf-8"
        else:
            data, ctype_out = payload.encode(), "text/plain; charset=utf-8"
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}",
                       [("Content-Type", ctype_out), ("Content-Length", str(len(data))), *headers])
        return [data]

    def _inject_fault(self) -> bool:
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def _post_message(self, auth: str | None, ctype: str, raw: bytes) -> tuple[int, list, Any]:
        if self._inject_fault():
            return self.rng.choice((500, 503)), [], {"ok": False, "error": "internal_error"}
        if ctype.startswith("application/json"):
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                return 200, [], {"ok": False, "error": "invalid_json"}
        else:
            args = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if isinstance(args.get("blocks"), str):
                try:  # form bodies carry blocks as a JSON-encoded string
                    args["blocks"] = json.loads(args["blocks"])
                except ValueError:
                    return 200, [], {"ok": False, "error": "invalid_blocks"}
        token = auth[7:].strip() if auth and auth.startswith("Bearer ") else args.get("token")
        if not auth and not token:
            return 200, [], {"ok": False, "error": "not_authed"}
        if not token or (self.token is not None and token != self.token):
            return 200, [], {"ok": False, "error": "invalid_auth"}
        channel, text, blocks = args.get("channel"), args.get("text"), args.get("blocks")
        with self.lock:
            found = self._resolve(channel) if channel else None
            if found is None:
                return 200, [], {"ok": False, "error": "channel_not_found"}
            if not text and not blocks:
                return 200, [], {"ok": False, "error": "no_text"}
            cid, name = found
            if self._is_archived(cid, name):
                return 200, [], {"ok": False, "error": "is_archived"}
            if self._throttled(cid):
                return 429, [("Retry-After", str(self.retry_after_seconds))], {
                    "ok": False, "error": "ratelimited"}
            msg = self._record(cid, name, text or "", blocks, args.get("thread_ts"))
        message = {"type": "message", "text": msg["text"], "ts": msg["ts"]}
        if blocks:
            message["blocks"] = blocks
        if msg["thread_ts"]:
            message["thread_ts"] = msg["thread_ts"]
        return 200, [], {"ok": True, "channel": cid, "ts": msg["ts"], "message": message}

    def _webhook(self, path: str, ctype: str, raw: bytes) -> tuple[int, list, str]:
        if self._inject_fault():
            return 500, [], "rollup_error"
        try:
            if ctype.startswith("application/x-www-form-urlencoded"):
                raw = parse_qs(raw.decode())["payload"][0].encode()  # legacy payload= form
            args = json.loads(raw)
        except (ValueError, KeyError, UnicodeDecodeError):
            return 400, [], "invalid_payload"
        if not isinstance(args, dict):
            return 400, [], "invalid_payload"
        with self.lock:
            channel = self.webhooks.get(path)
            if channel is None:
                return 404, [], "no_service"
            found = self._resolve(channel)
            if found is None:
                return 404, [], "channel_not_found"
            cid, name = found
            if self._is_archived(cid, name):
                return 410, [], "channel_is_archived"
            if not args.get("text") and not args.get("blocks"):
                return 400, [], "no_text"
            if self._throttled(cid):
                return 429, [("Retry-After", str(self.retry_after_seconds))], "rate_limited"
            self._record(cid, name, args.get("text") or "", args.get("blocks"), None)
        return 200, [], "ok"

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        self._server = make_server(host, port, self, server_class=_Server,
                                   handler_class=_QuietHandler)
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-slack", daemon=True)
        self._thread.start()
        self.base_url = f"http://{host}:{self._server.server_port}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a fake Slack on loopback.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", default=None, help="only accept this bot token")
    parser.add_argument("--webhook", action="append", default=[], metavar="CHANNEL",
                        help="register an incoming webhook for CHANNEL (repeatable)")
    args = parser.parse_args(argv)
    fake = FakeSlack(token=args.token)
    base_url = fake.start(port=args.port, host=args.host)
    print(base_url, flush=True)
    for channel in args.webhook:
        print(f"webhook {channel}: {base_url}{fake.add_webhook(channel)}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
