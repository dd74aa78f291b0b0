"""Issued badges in the fake Credly: issue, show, list, revoke and replace, with Credly's state rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace as copy_record
from datetime import datetime
from typing import Any, NamedTuple

from integrations.credly.fake import data, validate
from integrations.credly.fake.envelope import envelope, error, page, parse_filter, parse_sort
from integrations.fakes import Response

BADGE_FILTERS = ("state", "issuer_earner_id", "recipient_email", "recipient_email_all",
                 "badge_template_id", "query", "updated_at_min", "updated_at_max",
                 "issued_at_min", "issued_at_max")
BADGE_SORTS = ("issued_at", "updated_at", "created_at", "state_updated_at", "expires_at")


class Call(NamedTuple):
    """One routed request: the ids from the path, the query, the JSON body, the host URL."""

    ids: tuple[str, ...]
    query: dict[str, str]
    body: dict[str, Any]
    base: str


def _time_bound(value: str, upper: bool) -> Callable[[datetime], bool]:
    """The test of a `*_min` or (upper) `*_max` term; a bare date as a maximum covers its
    whole day, as the documented template filters' dates (YYYY-MM-DD) do."""
    bound = data.parse_time(value)
    if not upper:
        return lambda t: t >= bound
    if len(value.strip()) == 10:
        return lambda t: t.date() <= bound.date()
    return lambda t: t <= bound


def _term_test(key: str, value: str) -> Callable[[data.BadgeRecord], bool]:
    """The test of one `filter` term (key::value) on a badge."""
    if key == "state":
        states = set(value.split(","))
        return lambda b: b.state in states
    if key in ("recipient_email", "recipient_email_all"):
        email = value.strip().lower()
        return lambda b: b.recipient_email == email
    if key == "badge_template_id":
        return lambda b: b.template_id == value
    if key == "issuer_earner_id":
        return lambda b: b.issuer_earner_id == value
    if key == "query":
        needle = value.lower()
        return lambda b: needle in f"{b.recipient_email} {b.first_name} {b.last_name}".lower()
    attr, _, side = key.rpartition("_")  # updated_at_min -> ("updated_at", "min")
    ok = _time_bound(value, upper=side == "max")
    return lambda b: ok(getattr(b, attr))


class BadgeOps:
    """Mixed into FakeCredly, whose attributes these methods use (see app.py)."""

    badges: dict[str, data.BadgeRecord]
    templates: dict[str, data.TemplateRecord]
    events: list[data.EventRecord]
    organization_id: str
    page_size: int
    replaced_state: str
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    lock: Any  # FakeService's RLock
    base_url: str | None

    # ---- rendering and events --------------------------------------------------------------
    def _render(self, b: data.BadgeRecord, base: str) -> dict[str, Any]:
        return data.badge_json(b, self.templates[b.template_id], self.organization_id, base)

    def _event(self, event_type: str, b: data.BadgeRecord) -> None:
        # Events outlive the request that caused them, so their links use the served URL.
        snapshot = self._render(b, self.base_url or "")
        self.events.append(data.EventRecord(self.new_id(), event_type, self.clock(), snapshot))

    def _set_state(self, b: data.BadgeRecord, state: str, now: datetime | None = None) -> None:
        now = now or self.clock()
        b.state, b.state_updated_at, b.updated_at = state, now, now
        self._event("badge.state.changed", b)

    # ---- reads -----------------------------------------------------------------------------
    def _matches(self, terms: dict[str, str]) -> Callable[[data.BadgeRecord], bool]:
        tests = [_term_test(key, value) for key, value in terms.items()]
        return lambda b: all(t(b) for t in tests)

    def _list_badges(self, call: Call) -> Response:
        try:
            match = self._matches(parse_filter(call.query.get("filter", ""), BADGE_FILTERS))
            order = parse_sort(call.query.get("sort"), BADGE_SORTS)
        except ValueError as exc:
            return error(400, str(exc))
        found = sorted((b for b in self.badges.values() if match(b)), key=lambda b: b.seq)
        for key, descending in reversed(order):  # stable sorts, least significant key first
            found.sort(key=lambda b, k=key: (getattr(b, k) is not None, getattr(b, k) or 0),
                       reverse=descending)
        url = f"{call.base}/v1/organizations/{self.organization_id}/badges"
        chunk, metadata = page(found, call.query, url, self.page_size)
        return envelope(200, [self._render(b, call.base) for b in chunk], metadata)

    def _show_badge(self, call: Call) -> Response:
        b = self.badges.get(call.ids[0])
        if b is None:
            return error(404, validate.NOT_FOUND)
        return envelope(200, self._render(b, call.base))

    # ---- writes ----------------------------------------------------------------------------
    def _template_refusal(self, template_id: Any) -> Response | None:
        t = self.templates.get(template_id) if isinstance(template_id, str) else None
        if t is None:
            shown = template_id if isinstance(template_id, str) else ""
            return error(422, validate.MISSING_TEMPLATE.format(shown))
        if t.state != "active":
            return error(422, validate.ARCHIVED_TEMPLATE.format(t.id))
        return None

    def _duplicate_of(self, candidate: data.BadgeRecord, ignore: str | None = None
                      ) -> data.BadgeRecord | None:
        """The live badge that makes `candidate` a duplicate: same template, and the same
        recipient email or issuer_earner_id, unless the template allows duplicates."""
        if self.templates[candidate.template_id].allow_duplicate_badges:
            return None
        # Through the (template, email) and (template, earner id) indexes: a scan of every
        # badge made each issue O(n), so a fake holding 10,000 badges was slower than Credly.
        keys = [("email", candidate.template_id, candidate.recipient_email)]
        if candidate.issuer_earner_id is not None:
            keys.append(("earner", candidate.template_id, candidate.issuer_earner_id))
        for key in keys:
            for badge_id in self._by_holder.get(key, ()):
                b = self.badges[badge_id]
                if b.id != ignore and b.state in data.LIVE_STATES:
                    return b
        return None

    def _store(self, b: data.BadgeRecord, call: Call) -> Response:
        self.badges[b.id] = b
        # A record's template, email and earner id never change (a replace is a new record).
        self._by_holder.setdefault(("email", b.template_id, b.recipient_email), []).append(b.id)
        if b.issuer_earner_id is not None:
            self._by_holder.setdefault(("earner", b.template_id, b.issuer_earner_id),
                                       []).append(b.id)
        self._event("badge.created", b)
        return envelope(201, self._render(b, call.base))

    def _issue_badge(self, call: Call) -> Response:
        body = call.body
        refused = self._template_refusal(body.get("badge_template_id"))
        if refused is not None:
            return refused
        errors = validate.badge_errors(body, validate.ISSUE_REQUIRED)
        if errors:
            return error(422, validate.failed(errors))
        now = self.clock()
        values = validate.badge_values(body)
        b = data.BadgeRecord(id=self.new_id(), seq=len(self.badges) + 1,
                             template_id=body["badge_template_id"], created_at=now,
                             updated_at=now, **values)
        if self._duplicate_of(b) is not None:
            return error(422, validate.DUPLICATE.format(b.recipient_email))
        return self._store(b, call)

    def _revoke_badge(self, call: Call) -> Response:
        b = self.badges.get(call.ids[0])
        if b is None:
            return error(404, validate.NOT_FOUND)
        errors = validate.type_errors(call.body)
        if not errors and not (isinstance(call.body.get("reason"), str)
                               and call.body["reason"].strip()):
            errors = ["Reason can't be blank"]
        if errors:
            return error(422, validate.failed(errors))
        if b.state == "revoked":
            return error(422, validate.ALREADY_REVOKED.format(b.id))
        if b.state == "replaced":
            return error(422, validate.ALREADY_REPLACED.format(b.id))
        b.revocation_reason = call.body["reason"].strip()
        self._set_state(b, "revoked")
        return envelope(200, self._render(b, call.base))

    def _replace_badge(self, call: Call) -> Response:
        old = self.badges.get(call.ids[0])
        if old is None:
            return error(404, validate.NOT_FOUND)
        if old.state != "pending":
            return error(422, validate.NOT_PENDING.format(old.id, old.state))
        body = call.body
        refused = self._template_refusal(body.get("badge_template_id"))
        if refused is not None:
            return refused
        errors = validate.badge_errors(body, ("issued_at",))
        if errors:
            return error(422, validate.failed(errors))
        now = self.clock()
        new = copy_record(old, id=self.new_id(), seq=len(self.badges) + 1,
                          template_id=body["badge_template_id"], created_at=now,
                          updated_at=now, state="pending", state_updated_at=None,
                          revocation_reason=None, replaces_badge_id=old.id,
                          replacement_badge_id=None, **validate.badge_values(body))
        if self._duplicate_of(new, ignore=old.id) is not None:
            return error(422, validate.DUPLICATE.format(new.recipient_email))
        old.replacement_badge_id = new.id
        if self.replaced_state == "revoked":
            old.revocation_reason = "Replaced"
        self._set_state(old, self.replaced_state, now)
        return self._store(new, call)

    # ---- helpers for tests: what an earner or an admin does on Credly's website ------------
    def accept(self, badge_id: str) -> None:
        """The earner accepts a pending badge."""
        self._earner_decides(badge_id, "accepted")

    def reject(self, badge_id: str) -> None:
        """The earner rejects a pending badge."""
        self._earner_decides(badge_id, "rejected")

    def _earner_decides(self, badge_id: str, state: str) -> None:
        with self.lock:
            b = self.badges[badge_id]
            if b.state != "pending":
                raise ValueError(f"badge {badge_id} is {b.state}, not pending")
            self._set_state(b, state)

    def set_state(self, badge_id: str, state: str) -> None:
        """Force any state (what an admin or a data fix might leave behind)."""
        if state not in data.BADGE_STATES:
            raise ValueError(f"unknown badge state {state!r}")
        with self.lock:
            self._set_state(self.badges[badge_id], state)

    def list_badges(self, **attrs: Any) -> list[data.BadgeRecord]:
        """Copies of the stored badges whose attributes equal `attrs`, in issue order."""
        with self.lock:
            return [copy_record(b) for b in sorted(self.badges.values(), key=lambda b: b.seq)
                    if all(getattr(b, k) == v for k, v in attrs.items())]
