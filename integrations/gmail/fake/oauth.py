"""Google's OAuth 2.0 token endpoint (`POST /token`), as google-auth calls it.

Two grants: a refresh token (an installed or web app's consent), and a service account's
signed JWT (domain-wide delegation: `sub` is the mailbox to act as). Answers and refusals
use Google's bodies: {"access_token", "expires_in", "scope", "token_type"}, or
{"error", "error_description"} with 400/401. A service account's key is checked only if the
fake was given its public key (`service_account_keys`); its claims are always checked.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

import jwt

from integrations.fakes import Request, Response, json_response

PATH = "/token"
GMAIL_SCOPES = frozenset({"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.modify",
                          "https://www.googleapis.com/auth/gmail.readonly",
                          "https://www.googleapis.com/auth/gmail.send"})
# What a service account's assertion must name as its audience, wherever it is sent.
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # noqa: S105 - a grant type
LIFETIME = 3599


def _refused(error: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": error, "error_description": description})


class TokenEndpoint:
    """Issued access tokens are remembered so the fake's API accepts them."""

    def __init__(self, *, refresh_tokens: Mapping[str, str] | None = None,
                 service_account_keys: Mapping[str, str] | None = None,
                 delegated: frozenset[str] | None = None) -> None:
        # refresh token -> client id it was granted to; empty: any non-empty pair is accepted.
        self.refresh_tokens = dict(refresh_tokens or {})
        # service account email -> PEM public key.
        self.service_account_keys = dict(service_account_keys or {})
        # mailboxes a service account may act as; None: any of the domain's.
        self.delegated = delegated
        self.issued: dict[str, float] = {}  # access token -> expiry (epoch seconds)

    def valid(self, token: str | None) -> bool:
        return bool(token) and self.issued.get(token, 0) > time.time()

    def answer(self, request: Request) -> Response:
        if request.method != "POST":
            return _refused("invalid_request", "Method not allowed", 405)
        try:
            form = request.form()
        except ValueError:
            return _refused("invalid_request", "Malformed request body")
        grant = form.get("grant_type", "")
        if grant == "refresh_token":
            return self._refresh(form)
        if grant == JWT_GRANT:
            return self._assertion(form.get("assertion", ""))
        if not grant:
            return _refused("unsupported_grant_type", "Missing grant_type")
        return _refused("unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _refresh(self, form: Mapping[str, str]) -> Response:
        token, client_id = form.get("refresh_token", ""), form.get("client_id", "")
        if not client_id or not form.get("client_secret"):
            return _refused("invalid_client", "The OAuth client was not found.", 401)
        known = self.refresh_tokens.get(token) if self.refresh_tokens else client_id
        if not token or known != client_id:
            return _refused("invalid_grant", "Token has been expired or revoked.")
        return self._issue(form.get("scope") or " ".join(sorted(GMAIL_SCOPES)))

    def _assertion(self, assertion: str, audience: str = GOOGLE_TOKEN_URI) -> Response:
        try:
            claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
            key = self.service_account_keys.get(str(claims.get("iss")))
            if self.service_account_keys:
                if key is None:
                    return _refused("invalid_grant", "Invalid JWT Signature.")
                jwt.decode(assertion, key, algorithms=["RS256"], audience=audience)
        except jwt.InvalidSignatureError:
            return _refused("invalid_grant", "Invalid JWT Signature.")
        except jwt.PyJWTError as exc:
            return _refused("invalid_grant", f"Invalid JWT: {exc}")
        if claims.get("aud") != audience:
            return _refused("invalid_grant", "Invalid JWT: Failed audience check.")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time():
            return _refused("invalid_grant",
                            "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
                            "a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes & GMAIL_SCOPES:
            return _refused("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        if subject and self.delegated is not None and subject not in self.delegated:
            return _refused("unauthorized_client",
                            "Client is unauthorized to retrieve access tokens using this method, "
                            "or client not authorized for any of the scopes requested.", 401)
        return self._issue(" ".join(sorted(scopes)))

    def _issue(self, scope: str) -> Response:
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        self.issued[token] = time.time() + LIFETIME
        return json_response(200, {"access_token": token, "expires_in": LIFETIME,
                                   "scope": scope, "token_type": "Bearer"})
