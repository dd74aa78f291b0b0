"""The shared inbox: the group's mail as threads, its categories and prepared responses, and
the weekly rotation that says who answers it."""

import re
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from . import hours

SUBJECT_CHARS = 255
RFC_ID_CHARS = 255


def validate_time_zone(value: str) -> None:
    try:
        hours.BusinessHours(time_zone=value)
    except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds
        raise ValidationError(f"{value!r} is not a time zone name (e.g. America/Denver).") from exc


class Rotation(models.Model):
    """Who answers the inbox each week: members take one-week shifts in turn."""

    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL)
    time_zone = models.CharField(max_length=64, default=hours.DEFAULT_TIME_ZONE,
                                 validators=[validate_time_zone],
                                 help_text="Weeks and business hours are read in this zone.")
    weeks_ahead = models.PositiveSmallIntegerField(
        default=12, help_text="How many weeks of shifts are kept planned ahead.")
    slack_channel = models.CharField(max_length=80, default="#edu_services_team",
                                     help_text="Where shift reminders and gaps are posted.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_key(self) -> str:
        return f"rotation:{self.pk}"


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="inbox_rotations")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["rotation", "user"],
                                               name="inbox_rotation_member_once")]

    def __str__(self) -> str:
        return f"{self.user} in {self.rotation}"


class Shift(models.Model):
    """One member's week (Monday to Sunday in the rotation's time zone); no member is a gap."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="shifts")
    week_start = models.DateField(help_text="The Monday the week starts on")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="inbox_shifts")
    reminded_at = models.DateTimeField(null=True, blank=True)
    gap_flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["week_start"]
        constraints = [models.UniqueConstraint(fields=["rotation", "week_start"],
                                               name="inbox_shift_week_once")]

    def __str__(self) -> str:
        return f"{self.week_start:%d %b %Y}: {self.member or 'nobody'}"

    def clean(self) -> None:
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": "A shift starts on a Monday."})


class Override(models.Model):
    """Someone else on duty for some days: one side of a swap, or a cover."""

    class Kind(models.TextChoices):
        SWAP = "swap"
        COVER = "cover"

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Included")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+", help_text="On duty on these days")
    replaces = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 help_text="Who was on duty before")
    # Both sides of a swap share it, so cancelling one cancels the other.
    swap_key = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["rotation", "end_date"], name="inbox_override_end")]
        constraints = [models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                              name="inbox_override_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.kind} {self.start_date}–{self.end_date}: {self.member}"


class Holiday(models.Model):
    """A day the desk is closed: no business hours, nobody on duty, deadlines skip it."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y} {self.name}"


class CalendarFeed(models.Model):
    """A member's private ICS link; only the token's hash is kept, and revoking ends it."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="feeds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="inbox_calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}'s calendar feed ({'revoked' if self.revoked_at else 'active'})"


class Mailbox(models.Model):
    """The group's address (read from a member's Gmail mailbox) and how it is answered."""

    address = models.EmailField(unique=True, help_text="The group's address, e.g. levelup@…")
    name = models.CharField(max_length=100, default="LevelUp", help_text="Shown as the sender")
    rotation = models.ForeignKey(Rotation, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="mailboxes")
    first_response_hours = models.PositiveSmallIntegerField(
        default=8, help_text="First response due within this many business hours")
    escalation_channel = models.CharField(max_length=80, default="#edu_services_team")

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.address


class Category(models.Model):
    """What a thread is about; new threads get one from the rules."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(unique=True)
    position = models.PositiveSmallIntegerField(default=100)
    # Agents moved a thread here from what the rules chose: a rule may be missing.
    corrections_into = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class CategoryRule(models.Model):
    """Phrases that put a new thread in a category; the first matching rule wins."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    phrases = models.TextField(help_text="One phrase per line, matched in the subject and the "
                                         "first message, ignoring case.")
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    matched_count = models.PositiveIntegerField(default=0, editable=False)
    # Threads this rule categorised that an agent put elsewhere: how often it misses.
    corrected_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.category}: {', '.join(self.phrase_list[:3])}"

    @property
    def phrase_list(self) -> list[str]:
        return [p.strip().lower() for p in self.phrases.splitlines() if p.strip()]

    def matches(self, text: str) -> bool:
        """`text` lower-cased; a phrase matches as whole words, or with a plural "s"
        ("badge" finds "badges" but "exam" not "example")."""
        return bool(self.pattern and self.pattern.search(text))

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """All phrases in one expression, built once per rule object: a sync tests every
        new thread against every rule."""
        phrases = self.phrase_list
        if not phrases:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")s?(?!\w)")


class PreparedResponse(models.Model):
    """A reply the team reuses; placeholders like {{requester.first_name}} are filled in."""

    title = models.CharField(max_length=120)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="responses", help_text="Empty: fits any thread")
    body = models.TextField()
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    times_used = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class Thread(models.Model):
    """One Gmail thread of the group's mail."""

    class Status(models.TextChoices):
        OPEN = "open"
        WAITING = "waiting", "Waiting on customer"
        DONE = "done"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="threads")
    gmail_thread_id = models.CharField(max_length=64)
    subject = models.CharField(max_length=SUBJECT_CHARS, blank=True)
    snippet = models.CharField(max_length=200, blank=True)
    participants = models.JSONField(default=list, blank=True)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(max_length=254, blank=True, db_index=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.OPEN)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="threads")
    category_rule = models.ForeignKey(CategoryRule, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      help_text="The rule that chose the category")
    category_corrected = models.BooleanField(default=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="inbox_threads")
    message_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    asked_at = models.DateTimeField(null=True, blank=True,
                                    help_text="When the requester first wrote")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "gmail_thread_id"],
                                               name="inbox_thread_gmail_once")]
        indexes = [
            # The list walks one of these in order (keyset) and filters the rest on the way.
            models.Index(fields=["last_message_at", "id"], name="inbox_thread_recent"),
            # What changed since a mark: the reports' figures are brought up to date from it.
            models.Index(fields=["updated_at"], name="inbox_thread_changed"),
            models.Index(fields=["status", "last_message_at", "id"], name="inbox_thread_status"),
            models.Index(fields=["assignee", "last_message_at", "id"],
                         name="inbox_thread_assignee"),
            models.Index(fields=["category", "last_message_at", "id"],
                         name="inbox_thread_category"),
            models.Index(fields=["responded_at", "first_response_due_at"],
                         name="inbox_thread_due"),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}: {self.subject}"

    @property
    def subject_key(self) -> str:
        """How the audit trail and the outbox name this thread."""
        return f"thread:{self.pk}"

    @property
    def requester_first_name(self) -> str:
        return (self.requester_name or "").split(" ")[0] or "there"

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.status != self.Status.DONE and self.responded_at is None
                    and self.first_response_due_at and self.first_response_due_at < now)


class Message(models.Model):
    """One mail in a thread, as received (sanitised) or as written here and sent."""

    class Direction(models.TextChoices):
        INBOUND = "in"
        OUTBOUND = "out"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    gmail_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    rfc_message_id = models.CharField(max_length=RFC_ID_CHARS, blank=True, db_index=True,
                                      help_text="The Message-ID header")
    # in_reply_to, references, list_id, auto_submitted, original From...
    headers = models.JSONField(default=dict, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    from_name = models.CharField(max_length=200, blank=True)
    from_address = models.EmailField(max_length=254, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=SUBJECT_CHARS, blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised")
    body_text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True,
                                   help_text="Metadata only: filename, type, size, inline")
    is_truncated = models.BooleanField(default=False)
    is_automatic = models.BooleanField(default=False, help_text="An auto-reply or bulk mail")
    sent_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    prepared_response = models.ForeignKey(PreparedResponse, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    # The delivery of a reply written here: its state and error show on the message.
    outbox = models.ForeignKey("integrations.OutboxMessage", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["thread", "sent_at", "id"], name="inbox_message_thread")]

    def __str__(self) -> str:
        return f"{self.direction} {self.subject}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == self.Direction.OUTBOUND

