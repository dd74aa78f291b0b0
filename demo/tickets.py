"""Realistic demo tickets, from the kinds of requests the team gets (shared/samples)."""

import random
from datetime import timedelta

from django.utils import timezone

from people.models import Region, Team
from tickets.models import Ticket, TicketForm

# (topic, subject, first lines, extra tags, form)
REQUESTS = [
    ("platform", "Enrollment link expired",
     "The enrollment link our training coordinator sent says it has expired.", [], "ps"),
    ("platform", "Can't log in to Level Up",
     "I reset my password twice and still get \"invalid credentials\" on the learning platform.",
     [], "free"),
    ("training", "Private training for our team of 20",
     "We bought a private training session and want to schedule it for March.", ["paid"], "ps"),
    ("training", "Question about the Security Essentials course",
     "Module 4's lab refers to a setting I cannot find in my instance.", [], "free"),
    ("ld_training", "Remote Foundations certificate",
     "I completed Remote Foundations but see no certificate.", ["remote_foundations"], "free"),
    ("ld_training", "TeamOps course question",
     "Is the TeamOps course available in Spanish?", ["teamops"], "free"),
    ("certification", "Wrong email on my badge",
     "My badge went to my old work address; please move it to my personal one.", [], "ps"),
    ("certification", "Certification retake policy",
     "I failed the hands-on assessment; how soon can I retake it?", [], "ps"),
    ("certification", "Passed the exam but no badge",
     "I passed the Certified Associate exam yesterday with 92% but never received the badge email.",
     ["paid"], "ps"),
    ("demo_cloud", "Demo cloud environment not provisioning",
     "The lab environment for the course has been \"provisioning\" for two hours.", ["paid"], "ps"),
    ("sales", "Sales certification for partners",
     "Our partner sellers need the sales certification; who runs it?", ["sales_certification"],
     "ps"),
    ("other", "Pricing question", "How much does the Premium tier cost for 50 users?", [], "ps"),
    ("other", "Bug in merge requests",
     "Merge request approvals are not working on our self-managed instance.", [], "ps"),
]
FIRST = ["Amara", "Bjorn", "Chen", "Dalia", "Emeka", "Fatima", "Gustavo", "Hana", "Ines", "Jonas",
         "Kofi", "Leila", "Mateo", "Noor", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq"]
LAST = ["Okafor", "Lindqvist", "Wang", "Haddad", "Eze", "Rahman", "Silva", "Sato", "Moreau",
        "Becker", "Mensah", "Karimi", "Rossi", "Aziz", "Petrova", "Iyer", "Dubois", "Garcia"]
STATUS_WEIGHTS = [("new", 30), ("open", 25), ("pending", 15), ("hold", 5), ("solved", 15),
                  ("closed", 10)]
PRIORITY_WEIGHTS = [("low", 20), ("normal", 60), ("high", 15), ("urgent", 5)]


def ticket_batches(count: int, *, agents: list, seed: int = 7, batch_size: int = 5000,
                   now=None):
    """Yield lists of unsaved tickets; callers bulk_create them batch by batch."""
    rng = random.Random(seed)
    now = now or timezone.now()
    forms = {"ps": TicketForm.objects.get(name="Professional Services"),
             "free": TicketForm.objects.get(name="Free Training")}
    teams = {t.slug: t for t in Team.objects.all()}
    regions = list(Region.objects.all()) + [None]  # None: "all regions"
    statuses, status_w = zip(*STATUS_WEIGHTS, strict=True)
    priorities, priority_w = zip(*PRIORITY_WEIGHTS, strict=True)
    span = max(count * 90, 21 * 24 * 3600)  # one ticket every 90 s, over three weeks at least
    batch = []
    for n in range(count):
        topic, subject, body, extra, form = rng.choice(REQUESTS)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        status = rng.choices(statuses, status_w)[0]
        region = rng.choice(regions)
        created = now - timedelta(seconds=span * (count - n) / max(count, 1) + rng.randint(0, 600))
        updated = min(now, created + timedelta(minutes=rng.randint(0, 3 * 24 * 60)))
        assigned = status != "new" and agents and rng.random() < 0.7
        tags = [*extra, f"region_{region.code.lower()}" if region else "region_all"]
        batch.append(Ticket(
            subject=subject, description=body,
            requester_name=f"{first} {last}",
            requester_email=f"{first}.{last}{n}@example.com".lower(),
            status=status, priority=rng.choices(priorities, priority_w)[0],
            form=forms[form], group=teams["ld"] if form == "free" else teams["education-services"],
            tags=Ticket.pack_tags(tags), topic=topic, region=region,
            assignee=rng.choice(agents) if assigned else None,
            created_at=created, updated_at=updated,
        ))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
