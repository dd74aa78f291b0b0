"""Builders for inbox data: mailboxes, threads, messages, rotations."""

from datetime import datetime, timedelta
from itertools import count

import factory
from django.utils import timezone

from inbox import services
from inbox.models import Mailbox, Message, Rotation, RotationMember, Thread

GROUP = "levelup@edudesk.example"
_ids = count(1)


def mailbox() -> Mailbox:
    return Mailbox.objects.get_or_create(address=GROUP, defaults={
        "name": "LevelUp", "rotation": Rotation.objects.order_by("pk").first()})[0]


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    mailbox = factory.LazyFunction(mailbox)
    gmail_thread_id = factory.Sequence(lambda n: f"t{n:015x}")
    subject = factory.Sequence(lambda n: f"Question {n} about my badge")
    requester_name = "Amara Okafor"
    requester_email = factory.Sequence(lambda n: f"learner{n}@fabrikam.example")
    status = Thread.Status.OPEN
    message_count = 1
    asked_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    first_response_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=7))


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    gmail_id = factory.Sequence(lambda n: f"m{n:015x}")
    rfc_message_id = factory.Sequence(lambda n: f"<msg{n}@fabrikam.example>")
    direction = Message.Direction.INBOUND
    from_name = factory.LazyAttribute(lambda m: m.thread.requester_name)
    from_address = factory.LazyAttribute(lambda m: m.thread.requester_email)
    to = factory.LazyFunction(lambda: [{"name": "LevelUp", "address": GROUP}])
    subject = factory.LazyAttribute(lambda m: m.thread.subject)
    body_text = "I passed the exam yesterday but never received the badge email."
    body_html = "<p>I passed the exam yesterday but never received the badge email.</p>"


def rotation_with(*users, name: str = "LevelUp inbox") -> Rotation:
    rotation = Rotation.objects.get_or_create(name=name)[0]
    for position, user in enumerate(users):
        RotationMember.objects.update_or_create(rotation=rotation, user=user,
                                                defaults={"position": position})
    return rotation


def incoming(thread: str, *, at: datetime | None = None, direction: str = "in",
             sender: tuple[str, str] = ("Amara Okafor", "amara@fabrikam.example"),
             subject: str = "Passed the exam but no badge",
             text: str = "I passed the exam yesterday but never received the badge email.",
             html: str = "", automatic: bool = False, rfc_id: str | None = None,
             **extra) -> services.IncomingMessage:
    """One message as the Gmail adapter hands it over."""
    n = next(_ids)
    name, address = sender
    outbound = direction == Message.Direction.OUTBOUND
    return services.IncomingMessage(
        gmail_id=f"g{n:06d}", gmail_thread_id=thread, direction=direction,
        sender={"name": name, "address": address}, sent_at=at or timezone.now(),
        subject=subject, rfc_message_id=rfc_id or f"<m{n}@{address.split('@')[1]}>",
        to=[{"name": "", "address": "amara@fabrikam.example"}] if outbound
        else [{"name": "LevelUp", "address": GROUP}],
        text=text, html=html, is_automatic=automatic, **extra)


def hours_ago(n: float) -> datetime:
    return timezone.now() - timedelta(hours=n)
