"""The fake provider's own pages: its sign-in form and the error page it shows instead of
redirecting (an unknown client or redirect URI must never be redirected to)."""

from __future__ import annotations

from html import escape

from integrations.fakes import Response, text_response

HTML = "text/html; charset=utf-8"
# Nothing may load or run on the provider's pages. (No form-action: browsers apply it to the
# redirect back to the client too, which is the whole point of the form.)
HEADERS = [("Content-Security-Policy", "default-src 'none'"), ("Cache-Control", "no-store")]


def _page(status: int, title: str, body: str) -> Response:
    text = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
            f"</title></head><body><main><h1>{escape(title)}</h1>{body}</main></body></html>")
    return text_response(status, text, content_type=HTML, headers=HEADERS)


def sign_in_form(query_string: str, *, error: str = "", login_hint: str = "",
                 status: int = 200) -> Response:
    """Okta's sign-in widget in miniature: username and password, then back to the client."""
    message = f'<p role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{message}<form method=\"post\" action=\"/oauth2/v1/authorize\">"
        f"<input type=\"hidden\" name=\"authorize_query\" value=\"{escape(query_string)}\">"
        f"<p><label>Username <input name=\"username\" autocomplete=\"username\" "
        f"value=\"{escape(login_hint)}\" required></label></p>"
        "<p><label>Password <input type=\"password\" name=\"password\" "
        "autocomplete=\"current-password\"></label></p>"
        "<p><button>Sign in to Okta</button></p></form>"
    )
    return _page(status, "Fake Okta sign-in", body)


def error_page(status: int, error: str, description: str) -> Response:
    return _page(status, error, f"<p>{escape(description)}</p>")
