"""Thin Credly Web Service API client: one call per upstream operation, errors mapped, no retries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from urllib.parse import urljoin

import requests

from integrations.errors import TransientError
from integrations.http import ApiClient, BasicAuth, RateBudget, Timeout

# Credly ids are UUIDs; anything else in a path segment ('..', '/', '?') is a caller's bug.
_PATH_ID = re.compile(r"[A-Za-z0-9_-]+")
JSON_HEADERS = {"Accept": "application/json"}
LIVE_STATES = ("pending", "accepted")
Expiry = datetime | date | Literal[False] | None


def credly_time(value: datetime | date) -> str:
    """The form Credly documents for issued_at/expires_at: '2014-04-01 09:41:00 -0500'."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), UTC)
    if value.tzinfo is None:
        raise ValueError("a naive datetime is ambiguous; give it a time zone")
    return value.strftime("%Y-%m-%d %H:%M:%S %z")


def _path_id(value: str) -> str:
    if not isinstance(value, str) or not _PATH_ID.fullmatch(value):
        raise ValueError(f"not a Credly id: {value!r}")
    return value


def _filter(**terms: str | None) -> str | None:
    """Credly's `filter=key::value|key::value`; a value holding '|' or '::' would smuggle in
    another term, so it is refused rather than escaped (Credly documents no escaping)."""
    parts = []
    for key, value in terms.items():
        if value is None:
            continue
        if "|" in value or "::" in value:
            raise ValueError(f"{key} cannot contain '|' or '::': {value!r}")
        parts.append(f"{key}::{value}")
    return "|".join(parts) or None


def _badge_params(*, issuer_earner_id: str | None = None, recipient_email: str | None = None,
                  state: str | Iterable[str] | None = None, template_id: str | None = None,
                  updated_since: datetime | date | None = None, query: str | None = None,
                  sort: str | None = None, per: int | None = None) -> dict[str, Any]:
    if isinstance(updated_since, datetime):
        updated_since = updated_since.astimezone(UTC).date()
    states = state if state is None or isinstance(state, str) else ",".join(state)
    params: dict[str, Any] = {}
    terms = _filter(issuer_earner_id=issuer_earner_id, recipient_email_all=recipient_email,
                    state=states, badge_template_id=template_id, query=query,
                    updated_at_min=updated_since.isoformat() if updated_since else None)
    if terms:
        params["filter"] = terms
    if sort:
        params["sort"] = sort
    if per:
        params["per"] = per
    return params


class CredlyClient(ApiClient):
    """Calls /v1/organizations/{organization_id}/... on `base_url` (https://api.credly.com,
    with or without /v1); the caller owns retries.

    Single-object methods return the `data` object of Credly's envelope; list methods are
    generators over every page's items.
    """

    def __init__(self, base_url: str, organization_id: str, token: str,
                 timeout: Timeout = (3.05, 30), session: requests.Session | None = None,
                 rate_budget: RateBudget | None = None) -> None:
        if not token:
            raise ValueError("a Credly authorization token is required")
        # The organization's token is the Basic user name, with a blank password.
        super().__init__(base_url, auth=BasicAuth(token, ""), timeout=timeout, session=session,
                         rate_budget=rate_budget)
        base = self.base_url
        self.api_url = base if base.endswith("/v1") else f"{base}/v1"
        self.organization_id = _path_id(organization_id)

    def _url(self, path: str) -> str:
        return f"{self.api_url}/organizations/{self.organization_id}/{path.lstrip('/')}"

    def _data(self, method: str, path: str, *, payload: Any = None) -> dict[str, Any]:
        data = self._request(method, path, json=payload, headers=JSON_HEADERS).get("data")
        if not isinstance(data, dict):
            # A 2xx without Credly's envelope is something in between talking.
            raise TransientError(f"{method} {path}: no data object in the answer")
        return data

    def _pages(self, path: str, params: dict[str, Any] | None = None
               ) -> Iterator[dict[str, Any]]:
        """Items of every page, following metadata.next_page_url.

        Page-number paging shifts when badges are issued meanwhile, so an item can come
        twice (skipped here by id) or be missed (a sync should overlap its windows).
        """
        url: str | None = path
        seen_urls: set[str] = set()
        seen_ids: set[str] = set()
        while url and url not in seen_urls:  # a server repeating its link must not loop us
            seen_urls.add(url)
            body = self._request("GET", url, params=params, headers=JSON_HEADERS)
            items = body.get("data")
            if not isinstance(items, list):
                raise TransientError(f"GET {path}: no data list in the answer")
            for item in items:
                item_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(item_id, str):
                    if item_id in seen_ids:
                        continue
                    seen_ids.add(item_id)
                yield item
            metadata = body.get("metadata")
            link = metadata.get("next_page_url") if isinstance(metadata, dict) else None
            # The link carries the query; resolve it against the API in case it is relative.
            url, params = (urljoin(self.api_url + "/", link) if link else None), None

    # ---- badges ----------------------------------------------------------------------------
    def issue_badge(self, template_id: str, recipient_email: str, issued_to_first_name: str,
                    issued_to_last_name: str, issued_at: datetime, issuer_earner_id: str,
                    expires_at: Expiry = None, *, issued_to_middle_name: str | None = None,
                    locale: str | None = None,
                    suppress_badge_notification_email: bool | None = None,
                    evidence: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """POST /badges: the new badge (state "pending"). `issuer_earner_id` is our id for
        this issue: after a lost answer, find_live_badge() tells whether it happened.
        `expires_at` None takes the template's default, False means never."""
        payload: dict[str, Any] = {
            "badge_template_id": template_id, "recipient_email": recipient_email,
            "issued_to_first_name": issued_to_first_name,
            "issued_to_last_name": issued_to_last_name, "issued_at": credly_time(issued_at),
            "issuer_earner_id": issuer_earner_id}
        if expires_at is not None:
            payload["expires_at"] = False if expires_at is False else credly_time(expires_at)
        optional = {"issued_to_middle_name": issued_to_middle_name, "locale": locale,
                    "suppress_badge_notification_email": suppress_badge_notification_email,
                    "evidence": evidence}
        payload.update({k: v for k, v in optional.items() if v is not None})
        return self._data("POST", "badges", payload=payload)

    def revoke_badge(self, badge_id: str, reason: str, *,
                     suppress_revoke_notification_email: bool = False) -> dict[str, Any]:
        """PUT /badges/{id}/revoke: the badge, now "revoked"; Credly refuses a second revoke."""
        return self._data("PUT", f"badges/{_path_id(badge_id)}/revoke", payload={
            "reason": reason,
            "suppress_revoke_notification_email": suppress_revoke_notification_email})

    def replace_badge(self, badge_id: str, *, template_id: str, issued_at: datetime,
                      recipient_email: str | None = None,
                      issued_to_first_name: str | None = None,
                      issued_to_last_name: str | None = None,
                      issuer_earner_id: str | None = None, expires_at: Expiry = None,
                      notification_message: str | None = None,
                      suppress_badge_notification_email: bool | None = None
                      ) -> dict[str, Any]:
        """POST /badges/{id}/replace (pending badges only): the new badge, whose
        replaces_badge_id is `badge_id`; fields left None keep the old badge's values."""
        payload: dict[str, Any] = {"badge_template_id": template_id,
                                   "issued_at": credly_time(issued_at)}
        optional = {"recipient_email": recipient_email,
                    "issued_to_first_name": issued_to_first_name,
                    "issued_to_last_name": issued_to_last_name,
                    "issuer_earner_id": issuer_earner_id,
                    "notification_message": notification_message,
                    "suppress_badge_notification_email": suppress_badge_notification_email}
        payload.update({k: v for k, v in optional.items() if v is not None})
        if expires_at is not None:
            payload["expires_at"] = False if expires_at is False else credly_time(expires_at)
        return self._data("POST", f"badges/{_path_id(badge_id)}/replace", payload=payload)

    def get_badge(self, badge_id: str) -> dict[str, Any]:
        return self._data("GET", f"badges/{_path_id(badge_id)}")

    def list_badges(self, *, issuer_earner_id: str | None = None,
                    recipient_email: str | None = None,
                    state: str | Iterable[str] | None = None, template_id: str | None = None,
                    updated_since: datetime | date | None = None, query: str | None = None,
                    sort: str | None = None, per: int | None = None
                    ) -> Iterator[dict[str, Any]]:
        """GET /badges over every page, narrowed by Credly's filters.

        `updated_since` is sent as its UTC date (Credly's *_min filters take dates), so the
        answer starts at that midnight: a superset, which idempotent upserts absorb.
        """
        return self._pages("badges", _badge_params(
            issuer_earner_id=issuer_earner_id, recipient_email=recipient_email, state=state,
            template_id=template_id, updated_since=updated_since, query=query, sort=sort,
            per=per))

    def badges_page(self, page: int = 1, *, updated_since: datetime | date | None = None,
                    sort: str | None = None, per: int | None = None
                    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of GET /badges and whether another follows: what a sync that saves its
        place after every page needs."""
        params = _badge_params(updated_since=updated_since, sort=sort, per=per)
        body = self._request("GET", "badges", params={**params, "page": page},
                             headers=JSON_HEADERS)
        items = body.get("data")
        if not isinstance(items, list):
            raise TransientError("GET badges: no data list in the answer")
        metadata = body.get("metadata")
        return items, bool(isinstance(metadata, dict) and metadata.get("next_page_url"))

    def find_live_badge(self, template_id: str, issuer_earner_id: str) -> dict[str, Any] | None:
        """The pending or accepted badge of `template_id` issued with `issuer_earner_id`, or
        None: after a lost answer to issue_badge(), whether the issue happened upstream."""
        # States are checked here, not filtered upstream: a comma list in the badge `state`
        # filter is documented only for templates.
        for badge in self.list_badges(issuer_earner_id=issuer_earner_id, template_id=template_id):
            if badge.get("state") in LIVE_STATES:
                return badge
        return None

    # ---- templates and events --------------------------------------------------------------
    def list_templates(self, *, state: str | None = None) -> Iterator[dict[str, Any]]:
        """GET /badge_templates; state is active, archived or draft (None: all)."""
        terms = _filter(state=state)
        return self._pages("badge_templates", {"filter": terms} if terms else None)

    def get_template(self, template_id: str) -> dict[str, Any]:
        return self._data("GET", f"badge_templates/{_path_id(template_id)}")

    def list_events(self) -> Iterator[dict[str, Any]]:
        """GET /events: the organization's event feed (badge.created, badge.state.changed)."""
        return self._pages("events")

    def get_event(self, event_id: str) -> dict[str, Any]:
        """GET /events/{id}, what a webhook's id points at (the webhook itself is unsigned)."""
        return self._data("GET", f"events/{_path_id(event_id)}")
