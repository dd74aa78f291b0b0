"""Okta sign-in: ID tokens checked in full, roles from Okta group names, failures recorded."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.lockout import client_ip
from accounts.selectors import granted_roles
from people import audit
from people.audit import subject_of
from people.roles import ALL_ROLES

log = logging.getLogger("edudesk.signin")
# Okta's and our clocks may differ a little; an ID token is good for an hour anyway.
CLOCK_SKEW_SECONDS = 60


def is_enabled() -> bool:
    return bool(settings.OKTA_ISSUER_URL)


def roles_from_claims(claims: dict) -> set[str]:
    """Okta groups named in OKTA_ROLE_GROUPS ("okta-group=role,...") map to EduDesk roles."""
    mapping = settings.OKTA_ROLE_GROUPS
    groups = claims.get("groups") or []
    return {mapping[g] for g in groups if isinstance(g, str) and mapping.get(g) in ALL_ROLES}


def record_failure(request, reason: str, user=None) -> None:
    """An Okta sign-in that did not complete, in the log and the audit trail."""
    ip = client_ip(request) if request else ""
    log.warning("Okta sign-in failed from %s: %s", ip, reason)
    audit.record(actor=None, verb="sign_in_failed",
                 subject=subject_of("user", user.pk) if user else "sign-in",
                 summary=f"Okta sign-in refused from {ip}: {reason}",
                 changes={"method": "Okta", "ip": ip, "reason": reason})
    if request is not None:
        request.okta_failure = reason


class OktaBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        # Only mozilla-django-oidc's callback passes a nonce; a password attempt never reaches
        # Okta, whatever its query string says.
        if not is_enabled() or request is None or "nonce" not in kwargs:
            return None
        self.refusal = ""
        try:
            user = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as exc:
            record_failure(request, str(exc)[:200])
            return None
        if user is None:
            record_failure(request, self.refusal or "Okta's answer named no EduDesk account")
            return None
        if not user.is_active:
            record_failure(request, "the account is deactivated in EduDesk", user)
            return None
        return user

    def _verify_jws(self, payload, key):
        """The library checks the signature and expiry only ("verify_aud": False) and lets an
        expired token escape as an error page; a token is ours only if our issuer made it for
        this client, so audience and issuer are required and checked too."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {algorithm!r}, expected "
                                      f"{self.OIDC_RP_SIGN_ALGO}")
        try:
            return jwt.decode(payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO],
                              audience=self.OIDC_RP_CLIENT_ID, issuer=settings.OKTA_ISSUER_URL,
                              leeway=CLOCK_SKEW_SECONDS,
                              options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc

    def get_or_create_user(self, access_token, id_token, payload):
        # The library turns a refusal here into a silent None; keep its reason for the record.
        try:
            return super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation as exc:
            self.refusal = str(exc)
            raise

    def get_userinfo(self, access_token, id_token, payload):
        claims = super().get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: userinfo must describe the person the ID token names.
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo describes someone other than the ID token")
        # Depending on how the group claim is set up in Okta, it is in the ID token only.
        if "groups" not in claims and "groups" in payload:
            claims["groups"] = payload["groups"]
        return claims

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        return self.UserModel.objects.filter(email__iexact=email) if email else \
            self.UserModel.objects.none()

    def create_user(self, claims):
        email = claims["email"]
        username = claims.get("preferred_username") or email
        if self.UserModel.objects.filter(username=username).exists():
            username = email  # a local account already has the Okta login name
        if self.UserModel.objects.filter(username=username).exists():
            raise SuspiciousOperation(f"the username {username!r} belongs to another account")
        user = self.UserModel.objects.create_user(
            username=username, email=email, first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""))
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        # Okta is the source of truth for the roles it maps, at each sign-in; a role an admin
        # granted by approving an access request stays until an admin withdraws it.
        wanted = roles_from_claims(claims) | granted_roles(user)
        role_groups = Group.objects.filter(name__in=ALL_ROLES)
        user.groups.remove(*[g for g in role_groups if g.name not in wanted])
        user.groups.add(*[g for g in role_groups if g.name in wanted])
        return user
