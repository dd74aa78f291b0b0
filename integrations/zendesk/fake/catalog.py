"""Users, groups, forms and macros endpoints of the fake Zendesk, mixed into FakeZendesk."""

from __future__ import annotations

import bisect
import html
import threading
from typing import Any

from integrations.fakes import Response, json_response
from integrations.zendesk.fake import data
from integrations.zendesk.fake.envelope import not_found, paginate
from integrations.zendesk.fake.validate import tag_list


class CatalogOps:
    users: dict[int, dict[str, Any]]
    groups: dict[int, dict[str, Any]]
    ticket_forms: dict[int, dict[str, Any]]
    macros: dict[int, dict[str, Any]]
    tickets: dict[int, data.TicketRecord]
    lock: threading.RLock

    def _author_id(self, email: str) -> int:
        for u in self.users.values():
            if email and u["email"] == email and u["role"] in ("agent", "admin"):
                return u["id"]
        return data.ADMIN_ID

    def _list(self, items: dict[int, dict[str, Any]], key: str, query: dict[str, str],
              url: str) -> Response:
        values = sorted(items.values(), key=lambda x: x["id"])
        ids = [v["id"] for v in values]
        return json_response(200, paginate(
            query, url, key, len(values), lambda a, b: values[a:b],
            lambda cid: bisect.bisect_right(ids, cid)))

    def _show(self, items: dict[int, dict[str, Any]], key: str, oid: int) -> Response:
        if oid not in items:
            return not_found()
        return json_response(200, {key: items[oid]})

    def _users(self, *, query: dict[str, str], base: str, **_: Any) -> Response:
        users = self.users
        if "role" in query:
            users = {k: u for k, u in users.items() if u["role"] == query["role"]}
        return self._list(users, "users", query, f"{base}/api/v2/users.json")

    def _user(self, uid: int, **_: Any) -> Response:
        return self._show(self.users, "user", uid)

    def _me(self, *, email: str, **_: Any) -> Response:
        match = [u for u in self.users.values() if email and u["email"] == email]
        return json_response(200, {"user": match[0] if match else self.users[data.ADMIN_ID]})

    def _show_many_users(self, *, query: dict[str, str], **_: Any) -> Response:
        ids = [int(i) for i in query.get("ids", "").split(",") if i.strip()][:100]
        return json_response(200, {"users": [self.users[i] for i in ids if i in self.users]})

    def _groups(self, *, query: dict[str, str], base: str, **_: Any) -> Response:
        return self._list(self.groups, "groups", query, f"{base}/api/v2/groups.json")

    def _group(self, gid: int, **_: Any) -> Response:
        return self._show(self.groups, "group", gid)

    def _ticket_forms(self, **_: Any) -> Response:
        # Zendesk returns every form in one response here.
        forms = sorted(self.ticket_forms.values(), key=lambda f: f["position"])
        return json_response(200, {"ticket_forms": forms, "next_page": None,
                                    "previous_page": None, "count": len(forms)})

    def _ticket_form(self, fid: int, **_: Any) -> Response:
        return self._show(self.ticket_forms, "ticket_form", fid)

    def _macros(self, *, query: dict[str, str], base: str, active_only: bool = False,
                **_: Any) -> Response:
        macros = self.macros
        if active_only or query.get("active") in ("true", "false"):
            want = active_only or query["active"] == "true"
            macros = {k: m for k, m in macros.items() if m["active"] == want}
        url = f"{base}/api/v2/macros{'/active' if active_only else ''}.json"
        return self._list(macros, "macros", query, url)

    def _active_macros(self, **kw: Any) -> Response:
        return self._macros(active_only=True, **kw)

    def _macro(self, mid: int, **_: Any) -> Response:
        return self._show(self.macros, "macro", mid)

    # ---- macros applied (a preview: nothing is changed) ------------------------------------
    def _apply_macro(self, tid: int, mid: int, *, base: str, email: str, **_: Any
                     ) -> Response:
        if tid not in self.tickets or mid not in self.macros:
            return not_found()
        result = self._macro_result(self.macros[mid], self.tickets[tid], base, email)
        return json_response(200, {"result": {"ticket": result}})

    def _apply_macro_alone(self, mid: int, *, base: str, email: str, **_: Any) -> Response:
        if mid not in self.macros:
            return not_found()
        return json_response(200, {"result": self._macro_result(self.macros[mid], None, base,
                                                                email)})

    def _macro_result(self, macro: dict[str, Any], t: data.TicketRecord | None, base: str,
                      email: str) -> dict[str, Any]:
        """What the ticket would look like after the macro; nothing is changed."""
        me = self.users[self._author_id(email)]
        out: dict[str, Any] = {}
        if t is not None:
            out = {"id": t.id, "url": f"{base}/api/v2/tickets/{t.id}.json",
                   "assignee_id": t.assignee_id, "group_id": t.group_id,
                   "fields": [{"id": data.REQUEST_TYPE_FIELD_ID, "value": t.request_type}]}
        tags, tags_changed = list(t.tags) if t else [], False
        body, public = None, True
        for action in macro["actions"]:
            field, value = action["field"], action["value"]
            if field == "comment_value":
                body = value if isinstance(value, str) else value[-1]  # or [channel, text]
            elif field == "comment_mode_is_public":
                public = value in (True, "true")
            elif field in ("current_tags", "set_tags", "remove_tags"):
                names = tag_list(value)
                tags = (tags + names if field == "current_tags" else names
                        if field == "set_tags" else [x for x in tags if x not in names])
                tags_changed = True
            elif field == "assignee_id" and value == "current_user":
                out[field] = me["id"]
            else:
                out[field] = value
        if tags_changed:
            out["tags"] = list(dict.fromkeys(tags))
        if body is not None:
            requester = self.users.get(t.requester_id, {}) if t else {}
            for placeholder, text in (
                    ("{{ticket.requester.first_name}}", requester.get("name", "").split(" ")[0]),
                    ("{{ticket.requester.name}}", requester.get("name", "")),
                    ("{{ticket.id}}", str(t.id) if t else ""),
                    ("{{ticket.title}}", t.subject if t else ""),
                    # Zendesk renders a placeholder with nothing behind it as empty text.
                    ("{{ticket.organization.name}}", ""),
                    ("{{current_user.first_name}}", me["name"].split(" ")[0]),
                    ("{{current_user.name}}", me["name"])):
                body = body.replace(placeholder, text)
            out["comment"] = {"body": body, "html_body": f"<p>{html.escape(body)}</p>",
                              "public": public, "scoped_body": [["channel:all", body]]}
        return out
