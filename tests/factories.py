"""Test data builders."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from badges.models import Badge, BadgeTemplate, Certification, ResultSender, Submission
from people.models import AgentProfile, Region, Team
from tickets.models import Macro, RoutingRule, Ticket, TicketForm


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@edudesk.example")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            AgentProfile.objects.update_or_create(user=self, defaults={"team": extracted})


def team(slug: str) -> Team:
    return Team.objects.get(slug=slug)


def form(name: str) -> TicketForm:
    return TicketForm.objects.get(name=name)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Question number {n}")
    description = "I need help with my certification."
    requester_name = "Amara Okafor"
    requester_email = factory.Sequence(lambda n: f"learner{n}@example.com")
    status = Ticket.Status.NEW
    form = factory.LazyFunction(lambda: form("Professional Services"))
    group = factory.LazyFunction(lambda: team("education-services"))
    topic = Ticket.Topic.CERTIFICATION


def zendesk_ticket(number: int, **fields) -> Ticket:
    """A ticket known upstream as Zendesk's `number` (its local id differs, as in real life)."""
    ticket = TicketFactory(**fields)
    Ticket.objects.filter(pk=ticket.pk).update(zendesk_id=number)
    ticket.refresh_from_db()
    return ticket


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro

    title = factory.Sequence(lambda n: f"Test > Macro {n}")
    comment = "Hi {{ticket.requester.first_name}}, thanks! {{current_user.first_name}}"
    set_status = Ticket.Status.PENDING
    add_tags = "answered"


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")


class BadgeTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BadgeTemplate
        django_get_or_create = ("credly_id",)

    credly_id = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"GitLab Certified Thing {n}")


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    code = factory.Sequence(lambda n: f"certification-{n}")
    name = factory.Sequence(lambda n: f"Certification {n}")
    badge_template = factory.SubFactory(BadgeTemplateFactory)
    passing_score = Decimal("80")


class ResultSenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultSender

    name = factory.Sequence(lambda n: f"Grading form {n}")


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    sender = factory.SubFactory(ResultSenderFactory)
    submission_id = factory.Sequence(lambda n: f"result-{n}")
    certification = factory.SubFactory(CertificationFactory)
    earner_email = factory.Sequence(lambda n: f"earner{n}@example.com")
    earner_first_name = "Amara"
    earner_last_name = "Okafor"
    score = Decimal("92")
    passed = True
    submitted_at = factory.LazyFunction(timezone.now)


class BadgeFactory(factory.django.DjangoModelFactory):
    """A badge as the services leave it (queued, in its own lane); pass state and credly_id
    for one already on Credly."""

    class Meta:
        model = Badge
        skip_postgeneration_save = True

    template = factory.SubFactory(BadgeTemplateFactory)
    recipient_email = factory.Sequence(lambda n: f"holder{n}@example.com")
    recipient_first_name = "Amara"
    recipient_last_name = "Okafor"

    @factory.post_generation
    def own_lane(self, create, extracted, **kwargs):
        if create and not self.lane:
            self.lane = self.subject_key
            Badge.objects.filter(pk=self.pk).update(lane=self.lane)
