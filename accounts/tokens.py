"""API tokens: issued with an expiry, shown once, stored hashed, revoked by owner or admin,
and dead once their owner's password changes or the owner is deactivated."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from people import audit
from people.audit import subject_of

from .models import ApiToken

KEY_PREFIX = "edk_"  # tells a leaked EduDesk key apart in logs and secret scanners
# Recording every use would be a write per API request; this often is enough to see
# which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only time the key exists outside the client


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """Changes whenever the password does (a new hash has a new salt), also for an unusable
    password set again; the password hash itself never leaves the user table."""
    return hashlib.sha256(user.password.encode()).hexdigest()


def issue_token(*, user, actor, name: str = "", ip: str = "") -> IssuedToken:
    """A new token for `user`; every call makes another one (old ones keep their expiry)."""
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip()[:100], key_prefix=key[:10], key_hash=hash_key(key),
            password_fingerprint=password_fingerprint(user), expires_at=expires_at)
        audit.record(actor=actor, verb="token_issued", subject=subject_of("user", user.pk),
                     summary=f"API token {token.key_prefix}… issued to {user.get_username()}, "
                             f"expires {expires_at:%Y-%m-%d}",
                     changes={"token": token.pk, "name": token.name, "ip": ip})
    return IssuedToken(token, key)


def revoke_token(*, token: ApiToken, actor, reason: str) -> ApiToken:
    """Revoke one token; revoking a revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at, token.revoked_by, token.revoke_reason = timezone.now(), actor, reason
            token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
            audit.record(actor=actor, verb="token_revoked",
                         subject=subject_of("user", token.user_id),
                         summary=f"API token {token.key_prefix}… revoked: {reason}",
                         changes={"token": token.pk})
    return token


def revoke_tokens_of(*, user, reason: str, actor=None) -> int:
    """Revoke every token of `user` that has not been revoked yet (password changed, owner
    deactivated); the audit trail gets one line when there were any."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason)
    if count:
        audit.record(actor=actor, verb="token_revoked", subject=subject_of("user", user.pk),
                     summary=f"{count} API token(s) of {user.get_username()} revoked: {reason}",
                     changes={"count": count})
    return count


def token_for_key(key: str) -> ApiToken | None:
    """The live token a presented key belongs to, with its user; None for anything else."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now \
            or not token.user.is_active:
        return None
    # A password changed by a path no signal sees (a raw UPDATE, another process's cache)
    # still ends the token here.
    if not secrets.compare_digest(token.password_fingerprint, password_fingerprint(token.user)):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
