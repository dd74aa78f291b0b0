"""A synthetic desk history for the bench, the tests and a demo: tickets with the macros and
routing decisions agents made, threads with their categories (some corrected) and the
prepared responses sent. Worded apart from data/labelled.jsonl, which stays held out."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inbox.models import Category, CategoryRule, Mailbox, Message, PreparedResponse, Thread
from people.models import AuditEvent, Team
from tickets.models import Macro, RoutingRule, Ticket

# kind: (macro title or None, team slug, category slug or None, response title or None,
#        subjects, bodies)
KINDS = {
    "login": (None, "education-services", "platform-support",
              "Can't sign in after a password reset",
              ["Cannot sign in", "Login problem on Level Up", "Password not accepted"],
              ["After resetting my password the login page keeps rejecting me.",
               "Sign in fails with an error about my credentials.",
               "I can't get into my learning account any more."]),
    "progress": (None, "education-services", "platform-support", "Course progress went back to 0%",
                 ["Lost my course progress", "Progress not saved"],
                 ["All my completed lessons are unchecked again.",
                  "The course percentage dropped to zero overnight."]),
    "enrollment": (None, "education-services", "platform-support", "Enrollment link expired",
                   ["Expired enrollment link", "Course invitation expired"],
                   ["The invitation to join the course tells me it expired.",
                    "Our coordinator's enrollment link does not work any more."]),
    "course": (None, "education-services", "training", "Lab step doesn't match your instance",
               ["Lab question", "Course module question", "Exercise setting missing"],
               ["The lab steps mention a menu I do not have in my GitLab version.",
                "A module exercise asks for a setting I cannot find."]),
    "private": ("Training > Private training scheduling", "education-services", "training",
                "Scheduling a private training",
                ["Private training booking", "Schedule our paid training", "Team training dates"],
                ["We purchased a private session for our engineers and need to pick dates.",
                 "Our contract includes instructor-led training; when can it happen?"]),
    "ld": (None, "ld", "training", None,
           ["Remote Foundations completion", "TeamOps question", "TeamOps in other languages",
            "Remote Foundations certificate missing"],
           ["I finished Remote Foundations and want my certificate.",
            "Is TeamOps offered in French or Spanish?",
            "Our managers completed the TeamOps course; where are the certificates?"]),
    "no_badge": ("Certification > Badge not received", "education-services", "certification",
                 "Passed the exam, no badge yet",
                 ["Badge missing after exam", "No badge received", "Exam passed, badge?"],
                 ["I passed my certification exam but Credly never emailed me a badge.",
                  "My exam result is a pass and I am still waiting for the badge."]),
    "badge_email": ("Certification > Change badge email", "education-services", "certification",
                    "Badge sent to the wrong email",
                    ["Badge email change", "Move badge to new email", "Badge on old address"],
                    ["Please reissue my badge to my new email address.",
                     "The badge went to an address I no longer use."]),
    "retake": (None, "education-services", "certification", "Retaking the assessment",
               ["Retake question", "Exam retake waiting period"],
               ["I did not pass the assessment; when can I try again?",
                "How many attempts does the exam voucher include?"]),
    "expired": (None, "education-services", "certification", "Expired badge",
                ["Expired certification", "Recertification question"],
                ["My certification badge expired; how do I renew?",
                 "Credly says my badge is no longer valid."]),
    "provisioning": (None, "education-services", "demo-cloud", "Lab environment stuck provisioning",
                     ["Lab not starting", "Environment provisioning forever"],
                     ["The demo cloud lab never finishes provisioning.",
                      "My lab instance has been starting for an hour."]),
    "credits": (None, "education-services", "demo-cloud", "Out of demo cloud credits",
                ["Sandbox credits exhausted", "Demo cloud out of credits"],
                ["The sandbox stopped because my credits ran out.",
                 "I have zero credits left in the demo cloud."]),
    "sales": (None, "field-enablement", None, None,
              ["Partner sales training", "Sales certification request"],
              ["Our partner sales reps need the sales certification.",
               "Who provides the sales enablement training for resellers?"]),
    "other": ("General > Forms > Incorrect Form Used", "education-services", "other",
              "Not an Education Services question",
              ["Licensing question", "Product bug report", "Pricing for seats", "CI pipeline error"],
              ["How much do Ultimate licenses cost for our company?",
               "Our pipelines fail after the upgrade with an internal error.",
               "Merge requests are stuck and approvals do not show up."]),
}
WEIGHTS = {"login": 12, "progress": 6, "enrollment": 6, "course": 8, "private": 6, "ld": 8,
           "no_badge": 12, "badge_email": 8, "retake": 5, "expired": 5, "provisioning": 6,
           "credits": 5, "sales": 5, "other": 8}
STATUSES = ["new", "open", "pending", "solved", "solved", "closed"]


def _text(rng: random.Random, subjects, bodies) -> tuple[str, str]:
    subject = rng.choice(subjects)
    extra = rng.choice(["", " Thanks.", " Please help.", " It is urgent for us.",
                        " I tried twice already."])
    return subject, rng.choice(bodies) + extra


@transaction.atomic
def seed_history(*, tickets: int, threads: int = 0, seed: int = 18, days: int = 180,
                 batch: int = 5_000, actor=None) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    teams = {t.slug: t for t in Team.objects.all()}
    macros = {m.title: m for m in Macro.objects.all()}
    rules = {r.delegate_team_id: r for r in RoutingRule.objects.filter(active=True)}
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    for start in range(0, tickets, batch):
        rows, events = [], []
        for n in range(start, min(tickets, start + batch)):
            kind = rng.choices(kinds, weights)[0]
            macro, team_slug, _cat, _resp, subjects, bodies = KINDS[kind]
            subject, body = _text(rng, subjects, bodies)
            created = now - timedelta(seconds=rng.randint(0, days * 86_400))
            routed = team_slug != "education-services" and rng.random() < 0.85
            rows.append(Ticket(subject=subject, description=body, status=rng.choice(STATUSES),
                               requester_name="Sam Learner",
                               requester_email=f"learner{seed}-{n}@example.com",
                               group=teams[team_slug] if routed or team_slug ==
                               "education-services" else teams["education-services"],
                               created_at=created, updated_at=created))
            events.append((macro, team_slug, routed, created))
        Ticket.objects.bulk_create(rows, batch_size=batch)
        audit = []
        for ticket, (macro, team_slug, routed, created) in zip(rows, events, strict=True):
            if macro and rng.random() < 0.8:
                title = macro if rng.random() > 0.05 else rng.choice(list(macros))
                audit.append(AuditEvent(actor=actor, verb="macro", subject=ticket.subject_key,
                                        summary=f"Applied macro {title}", changes={"macro": title},
                                        created_at=created + timedelta(minutes=30)))
            if routed:
                rule = rules.get(teams[team_slug].pk)
                audit.append(AuditEvent(
                    actor=actor, verb="route", subject=ticket.subject_key,
                    summary=f"Routed to {teams[team_slug].name}",
                    changes={"routed_to": teams[team_slug].name,
                             "rule": rule.name if rule else None},
                    created_at=created + timedelta(minutes=20)))
        AuditEvent.objects.bulk_create(audit, batch_size=batch)
    if threads:
        _seed_threads(rng, threads, now, days, actor, seed)


def _seed_threads(rng: random.Random, count: int, now, days: int, actor, seed: int) -> None:
    mailbox = Mailbox.objects.get_or_create(address="levelup@edudesk.example",
                                            defaults={"name": "LevelUp"})[0]
    categories = {c.slug: c for c in Category.objects.all()}
    rules = list(CategoryRule.objects.filter(active=True).select_related("category"))
    responses = {r.title: r for r in PreparedResponse.objects.all()}
    kinds = [k for k in WEIGHTS if KINDS[k][2]]
    weights = [WEIGHTS[k] for k in kinds]
    rows, plan = [], []
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        _macro, _team, category, response, subjects, bodies = KINDS[kind]
        subject, body = _text(rng, subjects, bodies)
        created = now - timedelta(seconds=rng.randint(0, days * 86_400))
        text = f"{subject}\n{body}".lower()
        rule = next((r for r in rules if r.matches(text)), None)
        corrected = rule is None or rule.category.slug != category
        chosen = categories[category] if corrected and rng.random() < 0.8 else (
            rule.category if rule else categories["other"])
        rows.append(Thread(mailbox=mailbox, gmail_thread_id=f"synthetic-{seed}-{n}", subject=subject,
                           snippet=body[:200], requester_email=f"reader{seed}-{n}@example.com",
                           status="done", category=chosen, category_rule=rule,
                           category_corrected=corrected and chosen.slug == category,
                           created_at=created, last_message_at=created, updated_at=created))
        plan.append((body, response, created))
    Thread.objects.bulk_create(rows, batch_size=5_000)
    messages = []
    for thread, (body, response, created) in zip(rows, plan, strict=True):
        messages.append(Message(thread=thread, direction="in", body_text=body, sent_at=created,
                                from_address=thread.requester_email))
        if response in responses and rng.random() < 0.7:
            messages.append(Message(thread=thread, direction="out", body_text="(reply)",
                                    sent_at=created + timedelta(hours=2), author=actor,
                                    prepared_response=responses[response]))
    Message.objects.bulk_create(messages, batch_size=5_000)
