"""Test data builders."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tickets.models import AgentProfile, Macro, Region, RoutingRule, Team, Ticket, TicketForm


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
