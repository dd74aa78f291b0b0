"""The trained model (versioned), what it suggested for each ticket or thread, and what agents
did with those suggestions."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SuggestionModel(models.Model):
    """One training run: its metrics and the fitted artifact (joblib bytes, checked by hash)."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0, help_text="How long training took")
    # Examples per kind, hold-out accuracy, acceptance from feedback, backend name...
    metrics = models.JSONField(default=dict, blank=True)
    artifact = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"suggestion model v{self.version} ({self.trained_at:%Y-%m-%d %H:%M})"


class Suggestion(models.Model):
    """What the worker suggested for one ticket or thread; the page reads this one row."""

    subject = models.CharField(max_length=60, unique=True, help_text='"ticket:42", "thread:7"')
    payload = models.JSONField(default=dict)
    model_version = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="None: rules only (cold start)")
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"suggestions for {self.subject}"


class Feedback(models.Model):
    """An agent's answer to one suggestion; the next training reads it."""

    class Choice(models.TextChoices):
        TAKEN = "taken"
        IGNORED = "ignored"
        CORRECTED = "corrected"

    class Kind(models.TextChoices):
        MACRO = "macro"
        DELEGATE = "delegate"
        CATEGORY = "category"
        RESPONSE = "response"

    subject = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    choice = models.CharField(max_length=10, choices=Choice.choices)
    suggested = models.CharField(max_length=200, blank=True, help_text="The top suggestion")
    chosen = models.CharField(max_length=200, blank=True, help_text="What the agent did instead")
    model_version = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["subject", "kind"], name="suggest_feedback_subject"),
                   models.Index(fields=["created_at"], name="suggest_feedback_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.choice} on {self.subject}"


class RefreshCursor(models.Model):
    """How far the refresh job has read tickets or threads changed outside EduDesk's services
    (the Zendesk and Gmail syncs write in bulk, without signals)."""

    name = models.CharField(max_length=20, unique=True)
    updated_at = models.DateTimeField()
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.updated_at:%Y-%m-%d %H:%M:%S}"
