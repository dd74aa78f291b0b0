"""Who works the desk (teams, regions, agent profiles) and the application-wide audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .timezones import validate_zone


class Team(models.Model):
    """A group of people work can belong to (Zendesk's "group")."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class AgentProfile(models.Model):
    """What the desk needs to know about a person beyond their login: team, regions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="members")
    preferred_regions = models.ManyToManyField(
        Region, blank=True, help_text="Regions this agent supports; none selected means all."
    )
    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True,
                                        help_text="Zendesk user id")
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_zone],
        help_text="Times are shown in this zone (e.g. Europe/Berlin); empty: the team's.")

    def __str__(self) -> str:
        return f"{self.user} ({self.team or 'no team'})"


class AppendOnly(Exception):
    """The audit trail is written once and never changed through the application."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One line of any object's history: who did what to which subject, with the changes.

    `subject` names the object the way the outbox does ("ticket:42", "badge:9"), so any app
    can write here without a foreign key into every other app.
    """

    # PROTECT: deleting a person would rewrite their lines (SET_NULL is an UPDATE); people
    # who leave are deactivated instead.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=30)
    subject = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["subject", "created_at", "id"], name="audit_subject_time"),
            models.Index(fields=["created_at", "id"], name="audit_time"),
            # The audit view's filters by person and by action, newest first.
            models.Index(fields=["actor", "created_at", "id"], name="audit_actor_time"),
            models.Index(fields=["verb", "created_at", "id"], name="audit_verb_time"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events cannot be deleted.")
