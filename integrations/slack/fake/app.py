"""FakeSlack: channels, chat.postMessage and incoming webhooks with Slack's errors and rate limits."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from integrations.fakes import (
    FakeService,
    Request,
    Response,
    SlidingWindow,
    json_response,
    take,
    text_response,
)
from integrations.slack.fake import arguments
from integrations.slack.fake.arguments import SlackError

DEFAULT_CHANNELS = ("#field-enablement-team", "#edu_services_team", "#ld-delegates")


class FakeSlack(FakeService):
    """Thread-safe in-memory Slack: known channels, archived channels, posted messages.

    Besides the kit's knobs (`rate_limit` is the app's per-method budget):
    `rate_limit_per_second` is Slack's per-channel posting limit (about 1/s; None: off), and
    `retry_after_seconds` overrides the Retry-After its 429s carry (None: when the channel's
    window frees up).
    """

    name = "fake-slack"

    def __init__(self, token: str | None = None, error_rate: float = 0.0,
                 rate_limit_per_second: float | None = None,
                 retry_after_seconds: int | None = None, **knobs: Any) -> None:
        super().__init__(token=token, error_rate=error_rate, **knobs)
        self.rate_limit_per_second = rate_limit_per_second
        self.retry_after_seconds = retry_after_seconds
        self.channel_ids: dict[str, str] = {}  # name -> "C0001"
        self.channels: set[str] = set()  # names and IDs, both accepted as `channel`
        self.archived: set[str] = set()  # names or IDs
        self.messages: list[dict[str, Any]] = []
        self.webhooks: dict[str, str] = {}  # path -> channel name
        self._last_ts_us = 0
        for name in DEFAULT_CHANNELS:
            self.add_channel(name)

    # ---- state ---------------------------------------------------------------------------
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

    def _channel_window(self, cid: str) -> SlidingWindow | None:
        """The channel's posting budget: `rate_limit_per_second` as N posts per N/rate
        seconds, so 1/s is one post a second and 0.001 one post per 1000 s."""
        rate = self.rate_limit_per_second
        if not rate:
            return None
        limit = max(1, int(rate))
        return self.window(f"channel:{cid}", limit, limit / rate)

    def _channel_wait(self, cid: str) -> float | None:
        window = self._channel_window(cid)
        wait = take([window], time.monotonic()) if window else None
        if wait is None:
            return None
        return wait if self.retry_after_seconds is None else self.retry_after_seconds

    def _record(self, cid: str, name: str, text: str, blocks: Any, thread_ts: str | None
                ) -> dict[str, Any]:
        # Real ts values are unique per channel and sortable; microsecond steps guarantee both.
        us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        self._last_ts_us = us
        ts = f"{us // 1_000_000}.{us % 1_000_000:06d}"
        msg = {"channel": cid, "channel_name": name, "text": text, "blocks": blocks,
               "ts": ts, "thread_ts": thread_ts}
        self.messages.append(msg)
        return msg

    # ---- HTTP ------------------------------------------------------------------------------
    def too_many(self, retry_after: float) -> Response:
        return json_response(429, {"ok": False, "error": "ratelimited"},
                             headers=[("Retry-After", f"{retry_after:g}")])

    def fault(self) -> Response:
        return json_response(self.rng.choice((500, 503)), {"ok": False, "error": "internal_error"})

    def respond(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/api/chat.postMessage":
            try:
                return self._post_message(request)
            except SlackError as err:
                return json_response(200, err.body())  # Web API errors are HTTP 200
        if request.method == "POST" and request.path.startswith("/services/"):
            return self._webhook(request)
        if request.path.startswith("/api/"):
            return json_response(404, {"ok": False, "error": "unknown_method"})
        return text_response(404, "not_found")

    def _authenticate(self, request: Request, body_token: str | None) -> None:
        header = request.headers.get("authorization")
        token = request.bearer_token() if header else body_token
        if not header and not token:
            raise SlackError("not_authed")
        if not self.credential_ok(token):
            raise SlackError("invalid_auth")

    def _post_message(self, request: Request) -> Response:
        if self.fault_due():
            return self.fault()
        args, body_token, typed = arguments.read(request)
        self._authenticate(request, body_token)
        refused = self.throttle()  # the app's budget for this method, counted once authed
        if refused is not None:
            return refused
        if typed:
            arguments.check_types(args)
        found = self._resolve(args["channel"]) if args.get("channel") else None
        if found is None:
            raise SlackError("channel_not_found")
        text, blocks = arguments.content(args)
        cid, name = found
        if self._is_archived(cid, name):
            raise SlackError("is_archived")
        wait = self._channel_wait(cid)
        if wait is not None:
            return self.too_many(wait)
        msg = self._record(cid, name, text, blocks, args.get("thread_ts"))
        message = {"type": "message", "text": msg["text"], "ts": msg["ts"]}
        if blocks:
            message["blocks"] = blocks
        if msg["thread_ts"]:
            message["thread_ts"] = msg["thread_ts"]
        return json_response(200, {"ok": True, "channel": cid, "ts": msg["ts"],
                                   "message": message})

    def _webhook(self, request: Request) -> Response:
        """Incoming webhooks answer in plain text, with HTTP status codes for errors."""
        if self.fault_due():
            return text_response(500, "rollup_error")
        try:
            raw = request.body
            if request.content_type == "application/x-www-form-urlencoded":
                raw = request.form()["payload"].encode()  # the legacy payload= form
            args = json.loads(raw)
        except (ValueError, KeyError):
            return text_response(400, "invalid_payload")
        if not isinstance(args, dict):
            return text_response(400, "invalid_payload")
        channel = self.webhooks.get(request.path)
        if channel is None:
            return text_response(404, "no_service")
        found = self._resolve(channel)
        if found is None:
            return text_response(404, "channel_not_found")
        cid, name = found
        if self._is_archived(cid, name):
            return text_response(410, "channel_is_archived")
        if not args.get("text") and not args.get("blocks"):
            return text_response(400, "no_text")
        budget = self.budget()
        wait = take([budget], time.monotonic()) if budget else None
        wait = self._channel_wait(cid) if wait is None else wait
        if wait is not None:
            return text_response(429, "rate_limited", headers=[("Retry-After", f"{wait:g}")])
        self._record(cid, name, args.get("text") or "", args.get("blocks"), None)
        return text_response(200, "ok")
