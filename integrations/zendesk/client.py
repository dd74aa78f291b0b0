"""Thin Zendesk Support API client: one call per upstream operation, errors mapped, no retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from integrations.http import ApiClient, BasicAuth, BearerAuth, RateBudget, Timeout


class ZendeskClient(ApiClient):
    """Calls /api/v2 on `base_url` (e.g. https://acme.zendesk.com); the caller owns retries.

    Single-object methods return the decoded JSON body as Zendesk sends it
    (e.g. {"ticket": {...}}); list methods are generators over every page's items.
    """

    def __init__(self, base_url: str, email: str | None = None, api_token: str | None = None,
                 oauth_token: str | None = None, timeout: Timeout = (3.05, 30),
                 session: requests.Session | None = None,
                 rate_budget: RateBudget | None = None) -> None:
        auth: BearerAuth | BasicAuth | None
        if oauth_token:
            auth = BearerAuth(oauth_token)
        elif api_token:
            if not email:
                raise ValueError("api_token needs the agent's email")
            auth = BasicAuth(f"{email}/token", api_token)
        else:
            auth = None
        super().__init__(base_url, auth=auth, timeout=timeout, session=session,
                         rate_budget=rate_budget)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/v2/{path.lstrip('/')}"

    def _paginate(self, path: str, key: str, params: dict[str, Any] | None = None,
                  page_size: int | None = 100) -> Iterator[dict[str, Any]]:
        """Yield items over cursor pages (meta.has_more) or offset pages (next_page)."""
        params = dict(params or {})
        if page_size:
            params["page[size]"] = page_size
        url: str | None = path
        while url:
            body = self._request("GET", url, params=params)
            yield from body.get(key) or []
            meta = body.get("meta")
            if isinstance(meta, dict):
                if not meta.get("has_more") or not meta.get("after_cursor"):
                    return
                params = {**params, "page[after]": meta["after_cursor"]}
            else:
                url, params = body.get("next_page"), {}  # next_page carries its own query

    # ---- operations ------------------------------------------------------------------------
    def incremental_tickets(self, start_time: int | None = None, cursor: str | None = None,
                            per_page: int = 1000, include: str | None = None) -> dict[str, Any]:
        """One page of GET /incremental/tickets/cursor; keep `after_cursor` for the next call
        and stop when `end_of_stream` is true. include="users" sideloads the page's users."""
        if (start_time is None) == (cursor is None):
            raise ValueError("pass exactly one of start_time or cursor")
        params: dict[str, Any] = {"per_page": per_page}
        if include:
            params["include"] = include
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params["start_time"] = int(start_time or 0)
        return self._request("GET", "incremental/tickets/cursor", params=params)

    def incremental_ticket_events(self, start_time: int, per_page: int = 1000,
                                  include: str | None = "comment_events") -> dict[str, Any]:
        """One page of GET /incremental/ticket_events (time-based): the next page starts at
        `end_time`, so events of that second repeat; stop when `end_of_stream` is true."""
        params: dict[str, Any] = {"start_time": int(start_time), "per_page": per_page}
        if include:
            params["include"] = include
        return self._request("GET", "incremental/ticket_events", params=params)

    def show_ticket(self, ticket_id: int) -> dict[str, Any]:
        return self._request("GET", f"tickets/{int(ticket_id)}")

    def show_many_tickets(self, ids: list[int]) -> list[dict[str, Any]]:
        """Up to 100 tickets by id; missing (deleted) ones are simply absent."""
        return self._show_many("tickets", ids)

    def count_tickets(self) -> int | None:
        """Zendesk's (approximate, cached) ticket count; None when it is still computing."""
        value = (self._request("GET", "tickets/count").get("count") or {}).get("value")
        return int(value) if isinstance(value, int) else None

    def update_ticket(self, ticket_id: int, changes: dict[str, Any], *,
                      idempotency_key: str | None = None,
                      updated_stamp: str | None = None) -> dict[str, Any]:
        """PUT /tickets/{id}; with `updated_stamp` (the updated_at we last saw) Zendesk answers
        409 instead of overwriting someone else's newer change."""
        ticket = dict(changes)
        if updated_stamp is not None:
            ticket.update(safe_update=True, updated_stamp=updated_stamp)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._request("PUT", f"tickets/{int(ticket_id)}", json={"ticket": ticket},
                             headers=headers)

    def list_comments(self, ticket_id: int) -> Iterator[dict[str, Any]]:
        return self._paginate(f"tickets/{int(ticket_id)}/comments", "comments")

    def list_users(self, role: str | None = None) -> Iterator[dict[str, Any]]:
        return self._paginate("users", "users", {"role": role} if role else None)

    def show_many_users(self, ids: list[int]) -> list[dict[str, Any]]:
        return self._show_many("users", ids)

    def _show_many(self, resource: str, ids: list[int]) -> list[dict[str, Any]]:
        """GET /{resource}/show_many for up to 100 ids (Zendesk's cap per call)."""
        if not ids:
            return []
        joined = ",".join(str(int(i)) for i in ids[:100])
        return self._request("GET", f"{resource}/show_many", params={"ids": joined}).get(
            resource) or []

    def show_current_user(self) -> dict[str, Any]:
        return self._request("GET", "users/me")

    def list_groups(self) -> Iterator[dict[str, Any]]:
        return self._paginate("groups", "groups")

    def list_ticket_forms(self) -> Iterator[dict[str, Any]]:
        # Zendesk returns all forms in one unpaginated response (next_page is followed anyway).
        return self._paginate("ticket_forms", "ticket_forms", page_size=None)

    def list_macros(self, active_only: bool = False) -> Iterator[dict[str, Any]]:
        return self._paginate("macros/active" if active_only else "macros", "macros")

    def apply_macro(self, ticket_id: int, macro_id: int) -> dict[str, Any]:
        """The ticket as it would be after the macro ({"result": {"ticket": ...}}); Zendesk
        changes nothing, so PUT the parts you want with update_ticket()."""
        return self._request("GET", f"tickets/{int(ticket_id)}/macros/{int(macro_id)}/apply")
