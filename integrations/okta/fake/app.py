"""FakeOkta: an OpenID provider on loopback with the paths and errors of Okta's org server."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from integrations.fakes import FakeService, Request, Response, json_response, text_response
from integrations.okta.fake import page
from integrations.okta.fake.keys import SigningKey, s256

PREFIX = "/oauth2/v1"
SESSION_COOKIE = "fake_okta_session"
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


@dataclass
class Grant:
    """What an authorization code stands for until the token endpoint redeems it, once."""

    login: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    issued_at: float
    used: bool = False


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class FakeOkta(FakeService):
    """Thread-safe in-memory provider with one registered client and a directory of people:
    discovery, JWKS, the authorization-code flow with PKCE, `state` and `nonce`, RS256 ID
    tokens and userinfo.

    Knobs besides the kit's (`token` is the client secret): `redirect_uris` (None: any
    http(s) URI is accepted), `require_pkce`, `id_token_seconds`, `code_seconds`,
    `claim_overrides` (merged into every ID token issued; None removes a claim),
    `userinfo_overrides` (the same for userinfo answers) and `tamper_signature` (ID tokens
    arrive with a changed signature byte).
    """

    name = "fake-okta"

    def __init__(self, *, client_id: str = "edudesk",
                 client_secret: str = "fake-okta-secret",  # noqa: S107 - a fake's known secret
                 redirect_uris: set[str] | None = None, require_pkce: bool = True,
                 id_token_seconds: int = 3600, **knobs: Any) -> None:
        super().__init__(token=client_secret, **knobs)
        self.client_id = client_id
        self.redirect_uris = redirect_uris
        self.require_pkce = require_pkce
        self.id_token_seconds = id_token_seconds
        self.code_seconds = 60
        self.claim_overrides: dict[str, Any] = {}
        self.userinfo_overrides: dict[str, Any] = {}
        self.tamper_signature = False
        self.key = SigningKey()
        self.users: dict[str, dict[str, Any]] = {}  # login -> profile
        self.passwords: dict[str, str] = {}
        self.grants: dict[str, Grant] = {}  # authorization code -> grant
        self.access_tokens: dict[str, tuple[str, tuple[str, ...], float]] = {}
        self.sessions: dict[str, str] = {}  # session cookie -> login

    # ---- directory -------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.base_url or ""

    def add_user(self, email: str, *, groups: tuple[str, ...] | list[str] = (),
                 given_name: str = "", family_name: str = "", password: str | None = None,
                 login: str | None = None) -> dict[str, Any]:
        """A person in the directory; they sign in with `login` (their email by default)."""
        login = login or email
        profile = {"sub": "00u" + secrets.token_hex(8), "email": email, "login": login,
                   "given_name": given_name, "family_name": family_name,
                   "groups": list(groups)}
        with self.lock:
            self.users[login] = profile
            if password is not None:
                self.passwords[login] = password
        return profile

    def claims_for(self, login: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """The claims `scopes` release about a person, in ID tokens and userinfo alike."""
        user = self.users[login]
        claims: dict[str, Any] = {"sub": user["sub"]}
        if "email" in scopes:
            claims.update(email=user["email"], email_verified=True)
        if "profile" in scopes:
            name = " ".join(p for p in (user["given_name"], user["family_name"]) if p)
            claims.update(name=name or user["login"], given_name=user["given_name"],
                          family_name=user["family_name"], preferred_username=user["login"])
        if "groups" in scopes:
            claims["groups"] = list(user["groups"])
        return claims

    # ---- HTTP ------------------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/.well-known/openid-configuration" and method == "GET":
            return json_response(200, self.discovery())
        if path == f"{PREFIX}/keys" and method == "GET":
            return json_response(200, {"keys": [self.key.jwk()]})
        if path == f"{PREFIX}/authorize" and method in ("GET", "POST"):
            return self._authorize(request)
        if path == f"{PREFIX}/token" and method == "POST":
            if self.fault_due():
                return self.fault()
            return self.throttle() or self._token(request)
        if path == f"{PREFIX}/userinfo" and method in ("GET", "POST"):
            return self._userinfo(request)
        return json_response(404, {"errorCode": "E0000022",
                                   "errorSummary": "The endpoint does not support the provided "
                                                   "HTTP method"})

    def discovery(self) -> dict[str, Any]:
        base = f"{self.issuer}{PREFIX}"
        return {
            "issuer": self.issuer, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/keys", "response_types_supported": ["code"],
            "response_modes_supported": ["query"], "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "exp", "nonce", "auth_time",
                                 "email", "email_verified", "name", "given_name",
                                 "family_name", "preferred_username", "groups"],
        }

    # ---- authorization endpoint --------------------------------------------------------------
    def _authorize(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                form = request.form()
            except ValueError:
                return page.error_page(400, "invalid_request", "Malformed form body.")
            query_string = form.get("authorize_query", "")
        else:
            form, query_string = {}, request.query_string
        params = dict(parse_qsl(query_string))
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        if client_id != self.client_id:
            return page.error_page(400, "invalid_client", "Invalid value for 'client_id'.")
        if not self._redirect_allowed(redirect_uri):
            return page.error_page(400, "invalid_request", "The 'redirect_uri' parameter must "
                                   "be a Login redirect URI in the client app settings.")
        try:
            self._check_authorize(params)
        except OAuthError as exc:
            return self._redirect(redirect_uri, error=exc.error,
                                  error_description=exc.description, state=params.get("state"))
        login = self._signed_in(request)
        if request.method == "POST":
            login = self._check_password(form)
            if login is None:
                return page.sign_in_form(query_string, error="Unable to sign in",
                                         login_hint=form.get("username", ""), status=401)
        if login is None:
            if params.get("prompt") == "none":
                return self._redirect(redirect_uri, error="login_required",
                                      error_description="The user is not logged in.",
                                      state=params["state"])
            return page.sign_in_form(query_string, login_hint=params.get("login_hint", ""))
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(login, client_id, redirect_uri,
                                  tuple(params.get("scope", "").split()), params.get("nonce"),
                                  params.get("code_challenge"), time.monotonic())
        response = self._redirect(redirect_uri, code=code, state=params["state"])
        if request.method == "POST":  # Okta's session cookie: the next authorize skips the form
            session = secrets.token_urlsafe(16)
            self.sessions[session] = login
            response = response.with_headers([
                ("Set-Cookie", f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax")])
        return response

    def _redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment

    def _check_authorize(self, params: dict[str, str]) -> None:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type",
                             "The response type is not supported by the authorization server.")
        if "openid" not in params.get("scope", "").split():
            raise OAuthError("invalid_scope", "The authorization server requires the 'openid' "
                                              "scope.")
        if not params.get("state"):
            raise OAuthError("invalid_request", "The 'state' parameter is required.")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge and method != "S256":
            raise OAuthError("invalid_request", "'code_challenge_method' must be 'S256'.")
        if self.require_pkce and not challenge:
            raise OAuthError("invalid_request", "A PKCE code challenge is required.")

    def _signed_in(self, request: Request) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(request.headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a garbled cookie is no session
            return None
        morsel = cookie.get(SESSION_COOKIE)
        login = self.sessions.get(morsel.value) if morsel else None
        return login if login in self.users else None

    def _check_password(self, form: dict[str, str]) -> str | None:
        login = form.get("username", "").strip()
        if login not in self.users:
            return None
        expected = self.passwords.get(login)
        return login if expected is None or form.get("password") == expected else None

    @staticmethod
    def _redirect(uri: str, **params: str | None) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        joiner = "&" if urlsplit(uri).query else "?"
        return Response(302, [("Location", f"{uri}{joiner}{query}")], b"")

    # ---- token and userinfo endpoints ------------------------------------------------------
    def _token(self, request: Request) -> Response:
        try:
            return self._issue(request)
        except OAuthError as exc:
            return json_response(exc.status, {"error": exc.error,
                                              "error_description": exc.description},
                                 headers=NO_STORE)

    def _issue(self, request: Request) -> Response:
        try:
            form = request.form()
        except ValueError:
            raise OAuthError("invalid_request", "Malformed form body.") from None
        client_id, secret = request.basic_auth() or (form.get("client_id"),
                                                     form.get("client_secret"))
        if client_id != self.client_id or not self.credential_ok(secret):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        if form.get("grant_type") != "authorization_code":
            raise OAuthError("unsupported_grant_type", "The grant type is not supported.")
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.client_id != client_id or \
                time.monotonic() - grant.issued_at > self.code_seconds:
            raise OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
        grant.used = True  # a code is good for one attempt, even a failed one
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "The 'redirect_uri' does not match the "
                                              "redirection URI used in the authorization request.")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError("invalid_request", "PKCE code verifier is required when the "
                                                    "authorization request used a code challenge.")
            if s256(verifier) != grant.code_challenge:
                raise OAuthError("invalid_grant", "PKCE verification failed.")
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = (grant.login, grant.scopes,
                                            time.monotonic() + self.id_token_seconds)
        body = {"token_type": "Bearer", "expires_in": self.id_token_seconds,
                "access_token": access_token, "scope": " ".join(grant.scopes),
                "id_token": self.key.sign(self.id_token_claims(grant),
                                          tamper=self.tamper_signature)}
        return json_response(200, body, headers=NO_STORE)

    def id_token_claims(self, grant: Grant) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "ver": 1, "iss": self.issuer, "aud": grant.client_id, "iat": now,
            "exp": now + self.id_token_seconds, "auth_time": now, "amr": ["pwd"],
            "jti": "ID." + secrets.token_urlsafe(16),
            **self.claims_for(grant.login, grant.scopes),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return _overridden(claims, self.claim_overrides)

    def _userinfo(self, request: Request) -> Response:
        held = self.access_tokens.get(request.bearer_token() or "")
        if held is None or held[2] < time.monotonic():
            challenge = 'Bearer error="invalid_token", error_description="The access token ' \
                        'is invalid."'
            return text_response(401, "", headers=[("WWW-Authenticate", challenge)])
        login, scopes, _expires = held
        return json_response(200, _overridden(self.claims_for(login, scopes),
                                              self.userinfo_overrides))


def _overridden(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`claims` with a test's overrides applied; an override of None removes the claim."""
    merged = {**claims, **overrides}
    return {name: value for name, value in merged.items() if value is not None}
