"""Tickets and the configuration agents work them with: forms, views, macros, routing."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from people.models import Region, Team

from .placeholders import KNOWN, unknown_in


class TicketForm(models.Model):
    name = models.CharField(max_length=100, unique=True)
    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True)

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new"
        OPEN = "open"
        PENDING = "pending"
        HOLD = "hold"
        SOLVED = "solved"
        CLOSED = "closed"

    class Priority(models.TextChoices):
        LOW = "low"
        NORMAL = "normal"
        HIGH = "high"
        URGENT = "urgent"

    class Topic(models.TextChoices):
        PLATFORM = "platform"
        TRAINING = "training"
        CERTIFICATION = "certification"
        DEMO_CLOUD = "demo_cloud", "Demo cloud"
        SALES = "sales"
        LD_TRAINING = "ld_training", "L&D training"
        OTHER = "other"

    UNSOLVED = (Status.NEW, Status.OPEN, Status.PENDING, Status.HOLD)

    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True,
                                         help_text="Zendesk ticket id")
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)
    form = models.ForeignKey(TicketForm, null=True, blank=True, on_delete=models.SET_NULL)
    group = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    # Tags are kept space-padded (" paid region_emea ") so that "has tag X" is a
    # plain LIKE '% X %' on every database, without a join per ticket.
    tags = models.TextField(blank=True, default="")
    topic = models.CharField(max_length=20, choices=Topic.choices, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_tickets")
    # Who owns the ticket upstream when that person has no EduDesk login: the ticket is
    # theirs all the same (not "Unassigned", not in Triage, not taken over silently).
    assignee_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    upstream_updated_at = models.DateTimeField(null=True, blank=True,
                                               help_text="Zendesk's updated_at, for safe_update")
    # The requester's last public comment: what "waiting on us since" and the list's
    # "the customer wrote since you looked" marker are measured from.
    customer_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Keyset pagination walks one of these in order and filters the rest (status,
            # assignee, tags) on the way: a page costs about the same at any depth.
            models.Index(fields=["form", "created_at", "id"], name="ticket_form_created"),
            models.Index(fields=["form", "updated_at", "id"], name="ticket_form_updated"),
            models.Index(fields=["assignee", "updated_at", "id"], name="ticket_assignee_updated"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def number(self) -> int:
        """The number people know the ticket by: Zendesk's, for a ticket from Zendesk."""
        return self.zendesk_id if self.zendesk_id is not None else self.pk

    @property
    def owner_name(self) -> str:
        """Who owns it, with or without an EduDesk login; "" when nobody does."""
        if self.assignee_id is not None:
            return self.assignee.get_full_name() or self.assignee.get_username()
        return self.assignee_name

    @property
    def subject_key(self) -> str:
        """How the audit trail and the outbox name this ticket."""
        return f"ticket:{self.pk}"

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @staticmethod
    def pack_tags(tags) -> str:
        unique = sorted({t.strip().lower() for t in tags if t and t.strip()})
        return f" {' '.join(unique)} " if unique else ""

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def requester_first_name(self) -> str:
        return (self.requester_name or "").split(" ")[0] or "there"


class Comment(models.Model):
    """A public reply or an internal note; the body is sanitised HTML."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=200, blank=True)
    is_public = models.BooleanField(default=True)
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_time"),
                   # "tickets I already responded to", for My Assigned Tickets
                   models.Index(fields=["author", "is_public", "ticket"], name="comment_author")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        kind = "reply" if self.is_public else "note"
        return f"{kind} on #{self.ticket_id}"


class TicketSeen(models.Model):
    """When an agent last opened a ticket, so the list can mark what the customer said since."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_seen_once")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} seen by {self.user_id} at {self.seen_at:%Y-%m-%d %H:%M}"


class View(models.Model):
    """A saved ticket list; its conditions are fields, not free-form code."""

    class Assignee(models.TextChoices):
        ANY = "any", "Anyone or no one"
        UNASSIGNED = "unassigned", "Unassigned"
        ME = "me", "The current agent"
        ASSIGNED = "assigned", "Assigned to someone"

    class Sort(models.TextChoices):
        UPDATED_DESC = "-updated_at", "Last updated, newest first"
        UPDATED_ASC = "updated_at", "Last updated, oldest first"
        CREATED_DESC = "-created_at", "Requested, newest first"
        CREATED_ASC = "created_at", "Requested, oldest first"

    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             help_text="Owning team; its members see the view.")
    shared_with = models.ManyToManyField(Team, blank=True, related_name="shared_views",
                                         help_text="Other teams that also work this view.")
    is_system = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=100)
    form = models.ForeignKey(TicketForm, null=True, blank=True, on_delete=models.SET_NULL)
    group = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    statuses = models.JSONField(default=list, blank=True,
                                help_text='e.g. ["new", "open"]; empty means any status')
    tags_all = models.JSONField(default=list, blank=True, help_text="Tickets must have all")
    tags_none = models.JSONField(default=list, blank=True, help_text="Tickets must have none")
    assignee = models.CharField(max_length=12, choices=Assignee.choices, default=Assignee.ANY)
    regions = models.ManyToManyField(Region, blank=True, help_text="Empty means any region")
    sort = models.CharField(max_length=12, choices=Sort.choices, default=Sort.UPDATED_DESC)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """A named bundle of ticket changes; title is a path like "General > Forms > X"."""

    title = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)
    zendesk_id = models.BigIntegerField(null=True, blank=True, unique=True,
                                         help_text="Zendesk macro id; imported macros are read-only")
    comment = models.TextField(blank=True, help_text="Placeholders: {{ticket.requester.first_name}}, "
                               "{{ticket.requester.name}}, {{ticket.id}}, {{ticket.subject}}, "
                               "{{current_user.name}}, {{current_user.first_name}}")
    comment_is_public = models.BooleanField(default=True)
    set_status = models.CharField(max_length=10, choices=Ticket.Status.choices, blank=True)
    add_tags = models.CharField(max_length=300, blank=True, help_text="Space-separated")
    remove_tags = models.CharField(max_length=300, blank=True, help_text="Space-separated")
    set_group = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    set_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL)
    assign_to_actor = models.BooleanField(
        default=False, help_text="Assign the ticket to the agent who applies the macro "
                                 "(Zendesk's “current user”)")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read_only(self) -> bool:
        return self.zendesk_id is not None

    def clean(self) -> None:
        if self.assign_to_actor and self.set_assignee_id:
            raise ValidationError({"assign_to_actor": "Choose one: a fixed assignee, or the "
                                                      "agent who applies the macro."})
        # A placeholder EduDesk cannot fill would reach the customer as "{{...}}".
        unknown = unknown_in(self.comment)
        if unknown and not self.is_read_only:  # Zendesk renders its own macros' placeholders
            raise ValidationError({"comment": (
                f"Unknown placeholder{'s' if len(unknown) > 1 else ''}: "
                + ", ".join("{{" + u + "}}" for u in unknown)
                + ". Known: " + ", ".join("{{" + k + "}}" for k in KNOWN) + ".")})


class RoutingRule(models.Model):
    """Sends tickets on a topic, or with one of some tags, to a delegate."""

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    topic = models.CharField(max_length=20, choices=Ticket.Topic.choices, blank=True)
    tags_any = models.CharField(max_length=300, blank=True,
                                help_text="Space-separated; a ticket with any of them matches")
    delegate_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    delegate_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    slack_channel = models.CharField(max_length=80, blank=True,
                                     help_text="e.g. #field-enablement-team; notified on routing")
    keeps_ticket = models.BooleanField(
        default=False, help_text="Ask the channel for help and keep the ticket (the handbook's "
        "Field Enablement path) instead of handing it to the delegate")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def matches(self, ticket: Ticket) -> bool:
        if self.topic and ticket.topic == self.topic:
            return True
        wanted = set(self.tags_any.split())
        return bool(wanted & set(ticket.tag_list))


class BulkAction(models.Model):
    """One change an agent applied to several tickets at once, and what became of each.

    `results` holds one entry per selected ticket, in the order selected: {"ticket": pk,
    "number", "subject", "outcome": changed | unchanged | skipped, "reason", "outbox": [ids]};
    what Zendesk made of a change is read from those outbox rows, so it stays current.
    """

    class Action(models.TextChoices):
        ASSIGN = "assign", "Assign"
        STATUS = "status", "Set status"
        MACRO = "macro", "Apply macro"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    summary = models.CharField(max_length=300, help_text='e.g. "Status set to pending"')
    results = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.summary} on {len(self.results)} tickets"
