"""Deterministic education-services seed data and the compact ticket records the fake keeps."""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime
from typing import Any

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")
REGIONS = ("amer", "emea", "apac")
REQUEST_TYPE_FIELD_ID = 360_001  # custom field "Request type": triage / paid / free

ADMIN_ID = 1000
GROUPS = {2001: "Education Services", 2002: "L&D", 2003: "Field Enablement"}
ES, LD, FE = 2001, 2002, 2003
FORMS = {3001: "Professional Services", 3002: "Free Training"}
PS, FREE = 3001, 3002
# (name, email local part, group); the admin is the API user that /users/me returns by default.
AGENTS = (
    ("Ada Lovelace", "ada", ES), ("Grace Hopper", "grace", ES), ("Alan Turing", "alan", ES),
    ("Katherine Johnson", "katherine", LD), ("Edsger Dijkstra", "edsger", LD),
    ("Barbara Liskov", "barbara", FE), ("Margaret Hamilton", "margaret", FE),
)
FIRST = ("Maria", "James", "Aiko", "Lars", "Priya", "Chen", "Fatima", "Diego", "Olga", "Kwame",
         "Sofia", "Ravi", "Emma", "Noah", "Yuki", "Amara", "Lucas", "Ines", "Tomas", "Zara")
LAST = ("Garcia", "Smith", "Tanaka", "Nilsen", "Sharma", "Wei", "Khan", "Lopez", "Ivanova",
        "Mensah", "Rossi", "Patel", "Brown", "Muller", "Sato", "Okafor", "Silva", "Moreau",
        "Novak", "Haddad")
DOMAINS = ("acme.example", "globex.example", "initech.example", "umbrella.example",
           "learner.example")

# (topic tags, group, form, request type, via channel, subject, first message) from
# /work/shared/samples/requests.md; "other" tickets pick a random (wrong) form at seed time.
SAMPLES: tuple[tuple[tuple[str, ...], int, int | None, str, str, str, str], ...] = (
    (("topic_platform",), ES, FREE, "free", "email", "Can't log in to Level Up",
     'I reset my password twice and still get "invalid credentials" on the learning platform.'),
    (("topic_platform",), ES, FREE, "free", "email", "Course progress reset",
     "My progress in the CI/CD course went back to 0% after I switched browsers."),
    (("topic_platform",), ES, FREE, "free", "web", "Enrollment link expired",
     "The enrollment link our training coordinator sent says it has expired."),
    (("topic_training",), ES, FREE, "free", "email",
     "Question about the Security Essentials course",
     "Module 4's lab refers to a setting I cannot find in my instance."),
    (("topic_training", "paid"), ES, PS, "paid", "web", "Private training for our team of 20",
     "We bought a private training session and want to schedule it for March."),
    (("topic_training", "remote_foundations"), LD, FREE, "free", "web",
     "Remote Foundations certificate",
     "I completed Remote Foundations but see no certificate."),
    (("topic_training", "teamops"), LD, FREE, "free", "web", "TeamOps course question",
     "Is the TeamOps course available in Spanish?"),
    (("topic_certification",), ES, PS, "triage", "email", "Passed the exam but no badge",
     "I passed the Certified Associate exam yesterday with 92% but never received the badge "
     "email."),
    (("topic_certification",), ES, PS, "triage", "web", "Wrong email on my badge",
     "My badge went to my old work address; please move it to my personal one."),
    (("topic_certification",), ES, PS, "triage", "web", "Certification retake policy",
     "I failed the hands-on assessment; how soon can I retake it?"),
    (("topic_certification",), ES, PS, "triage", "email", "Badge expired",
     "My badge shows as expired; do I need to recertify?"),
    (("topic_demo_cloud",), ES, FREE, "free", "email",
     "Demo cloud environment not provisioning",
     'The lab environment for the course has been "provisioning" for two hours.'),
    (("topic_demo_cloud",), ES, FREE, "free", "email", "Demo cloud credits used up",
     "The sandbox says I have no credits left halfway through the lab."),
    (("topic_sales",), FE, PS, "triage", "web", "Sales certification for partners",
     "Our partner sellers need the sales certification; who runs it?"),
    (("topic_other",), ES, None, "triage", "web", "Pricing question",
     "How much does the Premium tier cost for 50 users?"),
    (("topic_other",), ES, None, "triage", "web", "Bug in merge requests",
     "Merge request approvals are not working on our self-managed instance."),
)
AGENT_REPLIES = (
    "Thanks for reaching out! I'm looking into this now and will update you shortly.",
    "Could you send us the email address you used to register, so we can check your account?",
    "I've escalated this to the team that owns it; we'll follow up within two business days.",
    "This should be fixed now. Could you try again and let us know if it works?",
)
REQUESTER_REPLIES = (
    "Thank you, that worked!", "I'm still seeing the same problem, any update?",
    "Here is the address I registered with: same as this email.",
    "Great, thanks for the quick help.",
)
INTERNAL_NOTES = (
    "Checked the LMS logs: enrollment record exists, sync job failed.",
    "Looks like a duplicate of an earlier request from the same customer.",
)
MACROS: tuple[tuple[str, bool, tuple[tuple[str, Any], ...]], ...] = (
    ("General::Forms::Incorrect Form Used", True, (
        ("comment_value", "Hi {{ticket.requester.first_name}}, this form is for Education "
         "Services requests only. Please resubmit your question through the main support "
         "portal so the right team can help you."),
        ("comment_mode_is_public", True), ("status", "solved"),
        ("current_tags", "incorrect_form_used"))),
    ("Education Services::Certification::Badge Reissue", True, (
        ("comment_value", "Hi {{ticket.requester.first_name}}, we have reissued your badge to "
         "the new address. It can take up to an hour to arrive."),
        ("status", "pending"), ("current_tags", "badge_reissued"))),
    ("Education Services::Platform::Password Reset Steps", True, (
        ("comment_value", "Please use the 'Forgot password' link on the Level Up sign-in page, "
         "then clear your browser cache and try again."),
        ("status", "pending"),)),
    ("L&D::Route to Delegate", True, (
        ("comment_value", "Routing to the L&D delegate."), ("comment_mode_is_public", False),
        ("group_id", LD), ("current_tags", "ld_routed"))),
    ("Field Enablement::Sales Certification", True, (
        ("comment_value", "Sales certification is run by Field Enablement (#field-enablement-team)."
         " Moving your request to them."),
        ("group_id", FE), ("status", "open"))),
    ("Legacy::Old Survey", False, (("status", "solved"),)),
)


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_dict(uid: int, name: str, email: str, role: str, ts: int, base: str) -> dict[str, Any]:
    return {"id": uid, "url": f"{base}/api/v2/users/{uid}.json", "name": name, "email": email,
            "role": role, "active": True, "suspended": False, "organization_id": None,
            "external_id": None, "tags": [], "user_fields": {}, "locale": "en-US",
            "time_zone": "UTC", "created_at": iso(ts), "updated_at": iso(ts)}


class TicketRecord:
    """One ticket in the fewest bytes; rendered to Zendesk JSON only when served."""

    __slots__ = ("id", "subject", "description", "status", "priority", "type", "requester_id",
                 "assignee_id", "group_id", "form_id", "request_type", "channel", "tags",
                 "created_at", "updated_at", "gts", "seq", "n_seed", "extra")

    def __init__(self, **fields: Any) -> None:
        self.extra: list[dict[str, Any]] | None = None  # comments added after seeding
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def comment_count(self) -> int:
        return self.n_seed + len(self.extra or ())

    def to_api(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id, "url": f"{base}/api/v2/tickets/{self.id}.json", "external_id": None,
            "type": self.type, "subject": self.subject, "raw_subject": self.subject,
            "description": self.description, "priority": self.priority, "status": self.status,
            "recipient": "support@edudesk.example", "requester_id": self.requester_id,
            "submitter_id": self.requester_id, "assignee_id": self.assignee_id,
            "organization_id": None, "group_id": self.group_id, "brand_id": 1,
            "ticket_form_id": self.form_id, "collaborator_ids": [], "follower_ids": [],
            "email_cc_ids": [], "problem_id": None, "has_incidents": False, "is_public": True,
            "due_at": None, "tags": list(self.tags),
            "custom_fields": [{"id": REQUEST_TYPE_FIELD_ID, "value": self.request_type}],
            "satisfaction_rating": None, "sharing_agreement_ids": [],
            "via": {"channel": self.channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(self.created_at), "updated_at": iso(self.updated_at),
            "generated_timestamp": self.gts,
        }


def comment_dict(cid: int, author_id: int, body: str, public: bool, ts: int,
                 channel: str = "api", html_body: str | None = None) -> dict[str, Any]:
    return {"id": cid, "type": "Comment", "author_id": author_id, "body": body,
            "html_body": html_body or f'<div class="zd-comment"><p>{html.escape(body)}</p></div>',
            "plain_body": body, "public": public, "attachments": [], "audit_id": cid,
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "metadata": {"system": {}, "custom": {}}, "created_at": iso(ts)}


def seed_comment(t: TicketRecord, k: int) -> dict[str, Any]:
    """The k-th seeded comment, recomputed on demand instead of stored (300k dicts otherwise)."""
    ts = t.created_at + (t.updated_at - t.created_at) * k // max(t.n_seed, 1)
    cid = t.id * 10_000 + k + 1
    if k == 0:
        return comment_dict(cid, t.requester_id, t.description, True, ts, t.channel)
    pick = (t.id * 31 + k * 7) % 97
    # Derived from the id only, so a later reassignment does not rewrite history.
    agent = 1001 + (t.id % len(AGENTS))
    if k % 2 == 1:
        return comment_dict(cid, agent, AGENT_REPLIES[pick % len(AGENT_REPLIES)], True, ts)
    if pick % 4 == 0:
        return comment_dict(cid, agent, INTERNAL_NOTES[pick % len(INTERNAL_NOTES)], False, ts)
    return comment_dict(cid, t.requester_id, REQUESTER_REPLIES[pick % len(REQUESTER_REPLIES)],
                        True, ts, "email")


def make_users(n_requesters: int, ts: int, base: str) -> dict[int, dict[str, Any]]:
    users = {ADMIN_ID: user_dict(ADMIN_ID, "EduDesk Integration", "api@edudesk.example",
                                 "admin", ts, base)}
    for i, (name, local, _group) in enumerate(AGENTS):
        users[1001 + i] = user_dict(1001 + i, name, f"{local}@edudesk.example", "agent", ts, base)
    for i in range(n_requesters):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{i}@{DOMAINS[i % len(DOMAINS)]}"
        users[100_001 + i] = user_dict(100_001 + i, f"{first} {last}", email, "end-user", ts,
                                       base)
    return users


def agents_by_group() -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {gid: [] for gid in GROUPS}
    for i, (_name, _local, group) in enumerate(AGENTS):
        groups[group].append(1001 + i)
    return groups


def make_tickets(n: int, comments_per_ticket: int, seed: int, end_time: int,
                 n_requesters: int, span_days: int = 365) -> list[TicketRecord]:
    """N tickets with ids in creation order and timestamps spread over `span_days` to end_time."""
    rng = random.Random(seed)
    agents = agents_by_group()
    span = span_days * 86_400
    start = end_time - span
    tag_cache: dict[tuple[int, int, int], tuple[str, ...]] = {}  # share identical tag tuples
    status_weights = (10, 25, 15, 5, 25, 20)
    priority_weights = (8, 22, 55, 15)
    statuses = rng.choices(STATUSES, status_weights, k=n)
    priorities = rng.choices(PRIORITIES, priority_weights, k=n)
    types = rng.choices(TYPES, (5, 20, 60, 15), k=n)
    out = []
    for i in range(n):
        tid = i + 1
        s_idx = rng.randrange(len(SAMPLES))
        topics, group, form, request_type, channel, subject, message = SAMPLES[s_idx]
        if form is None:
            form = PS if rng.random() < 0.5 else FREE
        region = rng.randrange(3)
        key = (s_idx, region, form)
        tags = tag_cache.get(key)
        if tags is None:
            form_tag = "professional_services" if form == PS else "free_training"
            tags = tag_cache[key] = tuple(sorted((*topics, f"region_{REGIONS[region]}",
                                                   form_tag)))
        created = start + span * i // max(n, 1) + rng.randrange(60)
        status = statuses[i]
        age = max(end_time - created, 1)
        updated = created if status == "new" else created + int(age * rng.random() ** 3)
        updated = min(updated, end_time)
        pool = agents[group]
        out.append(TicketRecord(
            id=tid, subject=subject, description=message, status=status,
            priority=priorities[i], type=types[i],
            requester_id=100_001 + rng.randrange(n_requesters),
            assignee_id=None if status == "new" else pool[rng.randrange(len(pool))],
            group_id=group, form_id=form, request_type=request_type, channel=channel,
            tags=tags, created_at=created, updated_at=updated, gts=updated, seq=0,
            n_seed=max(comments_per_ticket, 1)))
    return out
