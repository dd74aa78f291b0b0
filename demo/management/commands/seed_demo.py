"""Demo users for each role and a few hundred tickets; safe to run again."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from demo.badges import seed_badges
from demo.tickets import ticket_batches
from inbox import services as inbox
from inbox.models import Rotation, RotationMember
from people import roles
from people.models import AgentProfile, Region, Team
from tickets.models import RoutingRule, Ticket

DEMO_PASSWORD = "edudesk-demo"  # noqa: S105 - demo accounts on a loopback-only server
DEMO_USERS = [
    # username, first, last, role, team slug, preferred regions
    ("ada", "Ada", "Lovelace", roles.AGENT, "education-services", ["AMER"]),
    ("grace", "Grace", "Hopper", roles.AGENT, "education-services", ["EMEA", "APAC"]),
    ("katherine", "Katherine", "Johnson", roles.LD_AGENT, "ld", []),
    ("maria", "Maria", "Montessori", roles.MANAGER, "education-services", []),
    ("admin", "Alan", "Admin", roles.ADMIN, "education-services", []),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo tickets. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=300,
                            help="local demo tickets; 0 when they come from (fake) Zendesk")

    @transaction.atomic
    def handle(self, *args, tickets: int, **options):
        users = [self._user(*spec) for spec in DEMO_USERS]
        ld_delegate = next(u for u in users if u.username == "katherine")
        RoutingRule.objects.filter(topic="ld_training", delegate_user__isnull=True).update(
            delegate_user=ld_delegate)
        if not tickets:
            pass
        elif Ticket.objects.exists():
            self.stdout.write("Tickets exist already; none added.")
        else:
            agents = [u for u in users if u.username in ("ada", "grace", "katherine")]
            for batch in ticket_batches(tickets, agents=agents):
                Ticket.objects.bulk_create(batch)
            self.stdout.write(f"Added {tickets} demo tickets.")
        self._rotation([u for u in users if u.username in ("ada", "grace")])
        added = seed_badges()
        if added:
            self.stdout.write(f"Added {added} demo certification results and their badges.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _first, _last, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {roles.ROLE_LABELS[role]:<28} {username}")

    def _rotation(self, members) -> None:
        """Ada and Grace take turns on the LevelUp inbox, weeks planned ahead."""
        rotation = Rotation.objects.get_or_create(name="LevelUp inbox")[0]
        for position, user in enumerate(members):
            RotationMember.objects.get_or_create(rotation=rotation, user=user,
                                                 defaults={"position": position})
        inbox.generate_shifts(rotation=rotation)

    def _user(self, username, first, last, role, team_slug, region_codes):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last,
                      "email": f"{username}@edudesk.example", "is_staff": role == roles.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        profile, _ = AgentProfile.objects.get_or_create(
            user=user, defaults={"team": Team.objects.get(slug=team_slug)})
        if created:
            profile.preferred_regions.set(Region.objects.filter(code__in=region_codes))
        return user
