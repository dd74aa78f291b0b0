"""FakeCredly: Credly's Web Service API state, auth, rate limit, faults and routing on the fakes kit."""

from __future__ import annotations

import base64
import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from integrations.credly.fake import data, validate
from integrations.credly.fake.badges import BadgeOps, Call
from integrations.credly.fake.envelope import envelope, error, page, parse_filter
from integrations.fakes import FakeService, Request, Response, text_response

ORG_PATH = re.compile(r"/v1/organizations/([^/]+)(/.*)?")
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (verb, re.compile(rx), name) for verb, rx, name in (
        ("GET", r"", "_show_organization"),
        ("GET", r"/badges", "_list_badges"),
        ("POST", r"/badges", "_issue_badge"),
        ("GET", r"/badges/([^/]+)", "_show_badge"),
        ("PUT", r"/badges/([^/]+)/revoke", "_revoke_badge"),
        ("POST", r"/badges/([^/]+)/replace", "_replace_badge"),
        ("GET", r"/badge_templates", "_list_templates"),
        ("GET", r"/badge_templates/([^/]+)", "_show_template"),
        ("GET", r"/events", "_list_events"),
        ("GET", r"/events/([^/]+)", "_show_event"),
    )]
TEMPLATE_FILTERS = ("state", "query", "name", "public")


class FakeCredly(BadgeOps, FakeService):
    """One organization's badge templates, issued badges and event feed; thread-safe.

    Besides the kit's knobs (`token`: the only authorization token accepted, else any
    non-empty one; `rate_limit` per `rate_limit_window`, off by default as Credly publishes
    none): `page_size` (a list page when `per` is not given), `lost_response_rate` and
    `lost_responses` (writes applied but answered with a gateway 504: a share of them, and
    a count of the next ones), `retry_after_seconds` (overrides the 429's Retry-After) and
    `replaced_state` (what a replaced badge becomes: "revoked", or "replaced" since Credly's
    word for it is unconfirmed). `clock` gives the time every record is stamped with.
    """

    name = "fake-credly"

    def __init__(self, *, organization_id: str = data.ORGANIZATION_ID, page_size: int = 50,
                 lost_response_rate: float = 0.0, retry_after_seconds: float | None = None,
                 replaced_state: str = "revoked", id_seed: str | None = None,
                 **knobs: Any) -> None:
        super().__init__(**knobs)
        self.organization_id = organization_id
        self.page_size = page_size
        self.lost_response_rate = lost_response_rate
        self.lost_responses = 0
        self.retry_after_seconds = retry_after_seconds
        self.replaced_state = replaced_state
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # Replayable ids in tests; a standalone fake passes its own seed, so a database that
        # outlives one run of it never meets the same badge id twice.
        self._ids = random.Random(id_seed or f"credly-ids-{knobs.get('fault_seed')}")
        self.templates = data.seed_templates(self.clock())
        self.badges: dict[str, data.BadgeRecord] = {}
        # ("email" | "earner", template id, value) -> ids of the badges it names.
        self._by_holder: dict[tuple[str, str, str], list[str]] = {}
        self.events: list[data.EventRecord] = []

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # ---- templates, for tests and the command line -----------------------------------------
    def add_template(self, name: str, *, state: str = "active",
                     allow_duplicate_badges: bool = False) -> str:
        with self.lock:
            now = self.clock()
            t = data.TemplateRecord(id=data.template_id(name), name=name, state=state,
                                    created_at=now, updated_at=now,
                                    allow_duplicate_badges=allow_duplicate_badges)
            self.templates[t.id] = t
            return t.id

    def template_ids(self, state: str = "active") -> list[str]:
        with self.lock:
            return [t.id for t in self.templates.values() if t.state == state]

    # ---- HTTP ------------------------------------------------------------------------------
    def too_many(self, retry_after: float) -> Response:
        wait = retry_after if self.retry_after_seconds is None else self.retry_after_seconds
        return error(429, validate.RATE_LIMITED).with_headers([("Retry-After", f"{wait:g}")])

    def fault(self) -> Response:
        status = self.rng.choice((500, 502, 503))
        if status == 500:
            return error(500, "Internal Server Error")
        # 502/503 come from the load balancer in front, as HTML.
        return text_response(status, f"<html><body><h1>{status} Bad Gateway or Service "
                             "Unavailable</h1></body></html>", "text/html")

    @staticmethod
    def credential(request: Request) -> str | None:
        """The token from Basic auth: everything before the first ':' or '|', since clients
        send base64 of 'token:', 'token|' or the bare token."""
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return re.split(r"[:|]", decoded, maxsplit=1)[0] or None

    def respond(self, request: Request) -> Response:
        where = ORG_PATH.fullmatch(request.path.rstrip("/") or "/")
        if where is None:
            return error(404, validate.NOT_FOUND)
        if not self.credential_ok(self.credential(request)):
            return error(401, validate.UNAUTHORIZED)
        refused = self.throttle()
        if refused is not None:
            return refused
        if where.group(1) != self.organization_id:
            return error(404, validate.NOT_FOUND)
        rest = where.group(2) or ""
        for verb, pattern, name in ROUTES:  # noqa: B007 - name is used after break
            found = pattern.fullmatch(rest)
            if found and verb == request.method:
                break
        else:
            return error(404, validate.NOT_FOUND)
        if self.fault_due():
            return self.fault()  # before any change is applied
        body: dict[str, Any] = {}
        if request.method in ("POST", "PUT"):
            try:
                parsed = request.json() if request.content_type == "application/json" else None
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                return error(400, validate.BAD_JSON)
            body = parsed
        call = Call(found.groups(), request.query, body, request.host_url or self.base_url or "")
        try:
            resp: Response = getattr(self, name)(call)
        except ValueError as exc:  # a malformed query parameter (page=abc)
            return error(400, str(exc))
        if request.method in ("POST", "PUT") and resp.status < 300 and self._lose_response():
            # Applied, but the answer never reaches the client: only a lookup by
            # issuer_earner_id tells it whether the badge exists.
            return text_response(504, "<html><body><h1>504 Gateway Time-out</h1></body></html>",
                                 "text/html")
        return resp

    def _lose_response(self) -> bool:
        if self.lost_responses > 0:
            self.lost_responses -= 1
            return True
        return bool(self.lost_response_rate) and self.rng.random() < self.lost_response_rate

    # ---- organization, templates, events ---------------------------------------------------
    def _show_organization(self, call: Call) -> Response:
        return envelope(200, data.organization_json(self.organization_id, call.base))

    def _list_templates(self, call: Call) -> Response:
        try:
            terms = parse_filter(call.query.get("filter", ""), TEMPLATE_FILTERS)
        except ValueError as exc:
            return error(400, str(exc))
        found = [t for t in self.templates.values()
                 if ("state" not in terms or t.state in terms["state"].split(","))
                 and terms.get("query", "").lower() in f"{t.name} {t.description}".lower()
                 and terms.get("name", "").lower() in t.name.lower()
                 and ("public" not in terms or str(t.public).lower() == terms["public"])]
        url = f"{call.base}/v1/organizations/{self.organization_id}/badge_templates"
        chunk, metadata = page(found, call.query, url, self.page_size)
        return envelope(200, [data.template_json(t, self.organization_id, call.base)
                              for t in chunk], metadata)

    def _show_template(self, call: Call) -> Response:
        t = self.templates.get(call.ids[0])
        if t is None:
            return error(404, validate.NOT_FOUND)
        return envelope(200, data.template_json(t, self.organization_id, call.base))

    def _list_events(self, call: Call) -> Response:
        url = f"{call.base}/v1/organizations/{self.organization_id}/events"
        chunk, metadata = page(self.events, call.query, url, self.page_size)
        return envelope(200, [data.event_json(e, self.organization_id) for e in chunk], metadata)

    def _show_event(self, call: Call) -> Response:
        for e in self.events:
            if e.id == call.ids[0]:
                return envelope(200, data.event_json(e, self.organization_id))
        return error(404, validate.NOT_FOUND)
