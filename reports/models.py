"""What reports keep of their own: closed months' frozen figures and Slack subscriptions."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class FrozenMonth(models.Model):
    """A closed month whose certification figures were frozen (its snapshot rows below)."""

    month = models.DateField(unique=True, help_text="The month's first day, in the team's time zone")
    time_zone = models.CharField(max_length=64)
    frozen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} (frozen {self.frozen_at:%Y-%m-%d %H:%M})"


class CertificationSnapshot(models.Model):
    """One closed month's badges of one template, as counted when the month was frozen: a
    badge revoked later does not change it."""

    month = models.DateField()
    template = models.ForeignKey("badges.BadgeTemplate", null=True, on_delete=models.SET_NULL,
                                 related_name="+")
    template_name = models.CharField(max_length=200)
    # The template's audience at freezing time: moving a template later does not move the past.
    audience = models.ForeignKey("badges.Audience", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    audience_name = models.CharField(max_length=100, blank=True)
    issued = models.PositiveIntegerField(help_text="Badges that still counted (not revoked)")
    revoked = models.PositiveIntegerField()
    frozen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "template"],
                                               name="report_snapshot_once")]
        ordering = ["month", "template_name"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.template_name}: {self.issued} issued, {self.revoked} revoked"


class SummarySubscription(models.Model):
    """A manager who gets the monthly certification summary on Slack."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="report_subscription")
    channel = models.CharField(max_length=80, help_text="A Slack channel (#name) or member id")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_month = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} -> {self.channel} ({'active' if self.active else 'paused'})"


class BadgeMonthCount(models.Model):
    """Badges per month (in `time_zone`), template and revoked-or-not: the certification
    report's figures, kept current by reports.rollup from the badges that changed."""

    time_zone = models.CharField(max_length=64)
    month = models.DateField()
    template_id = models.BigIntegerField()  # a badges.BadgeTemplate's id; no key, no cascade
    revoked = models.BooleanField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["time_zone", "month", "template_id", "revoked"],
                                               name="report_badge_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} template {self.template_id}: {self.count}"


class RollupMark(models.Model):
    """How far BadgeMonthCount has taken in the badges' changes (one row per time zone)."""

    time_zone = models.CharField(max_length=64, unique=True)
    changed_through = models.DateTimeField(null=True)
    last_id = models.BigIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.time_zone}: through {self.changed_through} / id {self.last_id}"


class ThreadFigure(models.Model):
    """One inbox thread as the inbox report counts it: its week (in `time_zone`), category,
    deadline and first response in business minutes, worked out once when it changes."""

    thread_id = models.BigIntegerField(unique=True)  # an inbox.Thread's id; no key, no cascade
    time_zone = models.CharField(max_length=64)
    week = models.DateField(help_text="The Monday of the week the thread began")
    category_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    is_done = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True)
    responded_at = models.DateTimeField(null=True)
    response_minutes = models.PositiveIntegerField(null=True,
                                                   help_text="First response, in business minutes")

    class Meta:
        indexes = [models.Index(fields=["week", "category_id"], name="report_thread_week")]

    def __str__(self) -> str:
        return f"thread {self.thread_id} (week of {self.week})"


class TicketFigure(models.Model):
    """One ticket as the tickets report counts it: weeks (in `time_zone`) it was created and
    solved, by whom, and its first public reply in minutes, worked out when it changes."""

    ticket_id = models.BigIntegerField(unique=True)  # a tickets.Ticket's id; no key, no cascade
    time_zone = models.CharField(max_length=64)
    view_id = models.BigIntegerField(null=True, help_text="The view its form and tags put it in")
    created_at = models.DateTimeField()
    week = models.DateField(help_text="The Monday of the week it was created")
    solved_at = models.DateTimeField(null=True)
    solved_week = models.DateField(null=True)
    solved_by = models.BigIntegerField(null=True, help_text="A user id")
    first_reply_minutes = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["week", "view_id"], name="report_ticket_week"),
                   models.Index(fields=["solved_week", "view_id"], name="report_ticket_solved"),
                   models.Index(fields=["created_at", "view_id"], name="report_ticket_created")]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} (week of {self.week})"
