"""API tokens that expire and can be revoked, and requests for access from people without a role."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from people.roles import ROLE_LABELS


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        """Tokens that still open the API: not revoked, not expired, owner active."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(),
                           user__is_active=True)


class ApiToken(models.Model):
    """One API credential. Only a hash of the key is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_prefix = models.CharField(max_length=12, help_text="The key's first characters, "
                                                           "to tell tokens apart")
    key_hash = models.CharField(max_length=64, unique=True)
    # A hash of the owner's password hash when the token was issued: a changed password
    # changes it, and the token stops working even if no signal saw the change.
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.CharField(max_length=100, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @property
    def state(self) -> str:
        """Active, expired or revoked: what the token lists show."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AccessRequest(models.Model):
    """Someone signed in without a role asks for one; an admin approves or declines."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an admin"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Access withdrawn"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="access_requests")
    reason = models.TextField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    role = models.CharField(max_length=20, blank=True, help_text="The role granted on approval")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="open"),
                                    name="one_open_access_request_per_user"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="accessrequest_status")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_status_display()}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)
