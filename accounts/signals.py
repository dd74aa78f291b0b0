"""Sign-ins, failures and locks into the audit trail and the log; a changed password or a
deactivated account ends that person's API tokens."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from people import audit
from people.audit import subject_of

from .lockout import client_ip
from .middleware import mark_seen
from .tokens import revoke_tokens_of

log = logging.getLogger("edudesk.signin")
User = get_user_model()
METHODS = {"edudesk.okta.OktaBackend": "Okta"}


def _ip(request) -> str:
    return (getattr(request, "axes_ip_address", None) or client_ip(request)) if request else ""


def _subject(username: str | None) -> str:
    """The object a sign-in line is about: the account when it exists, else "sign-in" (an
    invented name is only quoted in the summary, never made an object of its own)."""
    pk = User.objects.filter(username=username).values_list("pk", flat=True).first() \
        if username else None
    return subject_of("user", pk) if pk else "sign-in"


@receiver(user_logged_in, dispatch_uid="accounts.record_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    method = METHODS.get(getattr(user, "backend", ""), "password")
    ip = _ip(request)
    if request is not None and hasattr(request, "session"):
        mark_seen(request.session)
    audit.record(actor=user, verb="signed_in", subject=subject_of("user", user.pk),
                 summary=f"Signed in with {method} from {ip or 'an unknown address'}",
                 changes={"method": method, "ip": ip})


@receiver(user_login_failed, dispatch_uid="accounts.record_sign_in_failure")
def record_sign_in_failure(sender, credentials, request=None, **kwargs):
    # Okta failures are recorded where their reason is known (edudesk.okta); attempts the
    # lock refused are logged by record_lock below.
    if "password" not in credentials or getattr(request, "refused_while_locked", False):
        return
    username = str(credentials.get("username") or "")[:60]
    ip = _ip(request)
    log.info("sign-in failed for %r from %s", username, ip)
    audit.record(actor=None, verb="sign_in_failed", subject=_subject(username),
                 summary=f"Failed password sign-in as “{username}” from {ip}",
                 changes={"username": username, "ip": ip,
                          "failures": getattr(request, "axes_failures_since_start", None)})


@receiver(user_locked_out, dispatch_uid="accounts.record_lock")
def record_lock(sender, request, username, ip_address, **kwargs):
    username = str(username or "")[:60]
    if getattr(request, "refused_while_locked", False):
        log.warning("sign-in refused while locked: %r from %s", username, ip_address)
        return
    log.warning("sign-in locked after repeated failures: %r from %s", username, ip_address)
    audit.record(actor=None, verb="sign_in_locked", subject=_subject(username),
                 summary=f"Password sign-in locked for “{username}” and {ip_address} after "
                         f"repeated failures",
                 changes={"username": username, "ip": ip_address})


@receiver(pre_save, sender=User, dispatch_uid="accounts.remember_credentials")
def remember_credentials(sender, instance, update_fields=None, **kwargs):
    """What the password and active flag were before this save, for end_tokens below."""
    watched = {"password", "is_active"}
    if instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        instance._credentials_before = None
        return
    instance._credentials_before = User.objects.filter(pk=instance.pk).values_list(
        "password", "is_active").first()


@receiver(post_save, sender=User, dispatch_uid="accounts.end_tokens")
def end_tokens(sender, instance, created, **kwargs):
    before = getattr(instance, "_credentials_before", None)
    if created or before is None:
        return
    password, was_active = before
    if password != instance.password:
        revoke_tokens_of(user=instance, reason="password changed")
    elif was_active and not instance.is_active:
        revoke_tokens_of(user=instance, reason="owner deactivated")
