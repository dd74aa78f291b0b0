"""Users, groups, forms and macros endpoints of the fake Zendesk, mixed into FakeZendesk."""

from __future__ import annotations

import bisect
import threading
from typing import Any

from integrations.zendesk import fake_data as data
from integrations.zendesk.fake_http import FakeResponse, error, json_response, paginate


class CatalogOps:
    users: dict[int, dict[str, Any]]
    groups: dict[int, dict[str, Any]]
    ticket_forms: dict[int, dict[str, Any]]
    macros: dict[int, dict[str, Any]]
    lock: threading.RLock

    def _list(self, items: dict[int, dict[str, Any]], key: str, query: dict[str, str],
              url: str) -> FakeResponse:
        values = sorted(items.values(), key=lambda x: x["id"])
        ids = [v["id"] for v in values]
        return json_response(200, paginate(
            query, url, key, len(values), lambda a, b: values[a:b],
            lambda cid: bisect.bisect_right(ids, cid)))

    def _show(self, items: dict[int, dict[str, Any]], key: str, oid: int) -> FakeResponse:
        if oid not in items:
            return error(404, "RecordNotFound", "Not found")
        return json_response(200, {key: items[oid]})

    def _users(self, *, query: dict[str, str], base: str, **_: Any) -> FakeResponse:
        users = self.users
        if "role" in query:
            users = {k: u for k, u in users.items() if u["role"] == query["role"]}
        return self._list(users, "users", query, f"{base}/api/v2/users.json")

    def _user(self, uid: int, **_: Any) -> FakeResponse:
        return self._show(self.users, "user", uid)

    def _me(self, *, email: str, **_: Any) -> FakeResponse:
        match = [u for u in self.users.values() if email and u["email"] == email]
        return json_response(200, {"user": match[0] if match else self.users[data.ADMIN_ID]})

    def _show_many_users(self, *, query: dict[str, str], **_: Any) -> FakeResponse:
        ids = [int(i) for i in query.get("ids", "").split(",") if i.strip()][:100]
        return json_response(200, {"users": [self.users[i] for i in ids if i in self.users]})

    def _groups(self, *, query: dict[str, str], base: str, **_: Any) -> FakeResponse:
        return self._list(self.groups, "groups", query, f"{base}/api/v2/groups.json")

    def _group(self, gid: int, **_: Any) -> FakeResponse:
        return self._show(self.groups, "group", gid)

    def _ticket_forms(self, **_: Any) -> FakeResponse:
        # Zendesk returns every form in one response here.
        forms = sorted(self.ticket_forms.values(), key=lambda f: f["position"])
        return json_response(200, {"ticket_forms": forms, "next_page": None,
                                    "previous_page": None, "count": len(forms)})

    def _ticket_form(self, fid: int, **_: Any) -> FakeResponse:
        return self._show(self.ticket_forms, "ticket_form", fid)

    def _macros(self, *, query: dict[str, str], base: str, active_only: bool = False,
                **_: Any) -> FakeResponse:
        macros = self.macros
        if active_only or query.get("active") in ("true", "false"):
            want = active_only or query["active"] == "true"
            macros = {k: m for k, m in macros.items() if m["active"] == want}
        url = f"{base}/api/v2/macros{'/active' if active_only else ''}.json"
        return self._list(macros, "macros", query, url)

    def _active_macros(self, **kw: Any) -> FakeResponse:
        return self._macros(active_only=True, **kw)

    def _macro(self, mid: int, **_: Any) -> FakeResponse:
        return self._show(self.macros, "macro", mid)
