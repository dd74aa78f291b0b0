"""What to suggest for one ticket or thread: read by the worker, never in a page's request.

Each suggestion carries a one-line reason. With too little history for a kind, the desk's
own rules answer instead (routing rules, category rules) and the reason says so.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inbox import selectors as inbox_selectors
from inbox.models import Category, CategoryRule, PreparedResponse, Thread
from people.models import Team
from tickets import selectors as ticket_selectors
from tickets.models import Macro, RoutingRule, Ticket

from . import history
from .learning import MIN_EXAMPLES, RECENT_DAYS, Learned, Ranked

SIMILAR_SHOWN = 5
DUPLICATES_BY_TEXT = 2
LIKELY_AT = 0.15
RECENT_UNINDEXED = 300  # tickets newer than the model, compared one by one


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _learned_reason(ranked: Ranked, verb: str, noun: str, learned: Learned, kind: str) -> str:
    if ranked.similar_recent:
        return f"{verb} {_plural(ranked.similar_recent, 'similar ' + noun)} in the last " \
               f"{RECENT_DAYS} days"
    total = learned.label_counts.get(kind, {}).get(ranked.label, 0)
    return f"{verb} {_plural(total, noun)} in the desk's history"


def _cold(kind: str, learned: Learned | None, noun: str) -> str:
    seen = learned.examples.get(kind, 0) if learned else 0
    return (f"too little history to learn from yet ({_plural(seen, noun)}; learning starts "
            f"at {MIN_EXAMPLES})")


def duplicate_days() -> int:
    return getattr(settings, "SUGGESTIONS_DUPLICATE_DAYS", 14)


# ---- tickets -----------------------------------------------------------------------------------
def for_ticket(ticket: Ticket, learned: Learned | None) -> dict:
    text = history.ticket_text(ticket.subject, ticket.description)
    now = time.time()
    payload: dict = {"macros": [], "delegate": None, "similar": [], "duplicates": [],
                     "cold": {}}
    vector = learned.vector(text) if learned and learned.vectorizer is not None else None
    near = []
    if vector is not None:
        near = [(row, score) for row, score in learned.neighbours(vector, prefix="ticket:")
                if learned.keys[row] != ticket.subject_key]
    if learned and learned.is_learned("macro"):
        payload["macros"] = _macros(learned.rank("macro", vector, near, now=now), learned)
    else:
        payload["cold"]["macro"] = "No macro suggested: " + _cold("macro", learned,
                                                                  "applied macro")
    if learned and learned.is_learned("delegate"):
        ranked = learned.rank("delegate", vector, near, now=now, top=1)
        payload["delegate"] = _delegate(ticket, ranked[0], learned) if ranked else None
    else:
        payload["delegate"] = _rule_delegate(ticket, learned)
    recent = _recent_tickets(ticket, learned, vector)
    payload["similar"] = _similar(ticket, learned, near, recent)
    payload["duplicates"] = _duplicates(ticket.subject_key, ticket.requester_email,
                                        ticket.created_at, learned, near, recent)
    return payload


def _macros(ranked: list[Ranked], learned: Learned) -> list[dict]:
    # The best always shows; the next ones only when they are likely too.
    ranked = [r for i, r in enumerate(ranked) if i == 0 or r.score >= LIKELY_AT]
    macros = Macro.objects.in_bulk([int(r.label) for r in ranked if r.label.isdigit()])
    shown = []
    for r in ranked:
        macro = macros.get(int(r.label)) if r.label.isdigit() else None
        if macro is None or not macro.active:
            continue
        shown.append({"id": macro.pk, "title": macro.title, "label": r.label, "score": r.score,
                      "reason": _learned_reason(r, "applied to", "ticket", learned, "macro")})
    return shown


def _delegate(ticket: Ticket, ranked: Ranked, learned: Learned) -> dict | None:
    team = Team.objects.filter(name=ranked.label).first()
    if team is None or team.pk == ticket.group_id:
        return None  # such tickets stay where this one already is
    counts = learned.label_counts.get("delegate", {})
    if ticket.group_id is None and counts and ranked.label == max(counts, key=counts.get):
        return None  # the desk's own team, where unrouted tickets stay anyway
    rule = RoutingRule.objects.filter(active=True, delegate_team=team).order_by(
        "position", "name").first()
    reason = _learned_reason(ranked, "routed there for", "ticket", learned, "delegate")
    return {"team": team.name, "team_id": team.pk, "rule_id": rule.pk if rule else None,
            "rule": rule.name if rule else "", "label": ranked.label, "reason": reason}


def _rule_delegate(ticket: Ticket, learned: Learned | None) -> dict | None:
    rule = ticket_selectors.suggested_rule(ticket, ticket_selectors.routing_rules())
    if rule is None:
        return None
    team = rule.delegate_team
    return {"team": team.name if team else str(rule.delegate_user or ""),
            "team_id": team.pk if team else None, "rule_id": rule.pk, "rule": rule.name,
            "label": team.name if team else "", "cold": True,
            "reason": f"routing rule “{rule.name}” matches this ticket; "
                      + _cold("delegate", learned, "routed ticket")}


def _recent_tickets(ticket: Ticket, learned: Learned | None, vector) -> list[tuple[int, float]]:
    """Tickets that arrived after the model was trained, scored one by one (few, recent)."""
    if vector is None:
        return []
    since = datetime.fromtimestamp(learned.trained_at, tz=UTC) \
        if learned.trained_at else timezone.now() - timedelta(days=duplicate_days())
    rows = list(Ticket.objects.filter(created_at__gte=since).exclude(pk=ticket.pk)
                .order_by("-created_at", "-id").values_list("pk", "subject", "description")
                [:RECENT_UNINDEXED])
    if not rows:
        return []
    matrix = learned.vectors([history.ticket_text(s, d) for _pk, s, d in rows])
    scores = learned.scores(matrix, vector)
    return [(pk, float(score)) for (pk, _s, _d), score in zip(rows, scores, strict=True)
            if score > 0]


def _similar(ticket: Ticket, learned: Learned | None, near, recent) -> list[dict]:
    if learned is None:
        return []
    scored = {int(learned.keys[row].split(":")[1]): (score, learned.resolutions[row])
              for row, score in near[:20]}
    for pk, score in recent:
        if score > scored.get(pk, (0, ""))[0]:
            scored[pk] = (score, "")
    best = sorted(scored.items(), key=lambda item: -item[1][0])[:20]
    tickets = Ticket.objects.only("id", "zendesk_id", "subject", "status").in_bulk(
        [pk for pk, _ in best])
    found = []
    for pk, (score, how) in best:
        other = tickets.get(pk)
        if other is None or score < learned.thresholds["shown"]:
            continue
        solved = other.status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED)
        found.append({"id": pk, "number": other.number, "subject": other.subject,
                      "status": other.status, "score": round(score, 3),
                      "how": (how or "solved") if solved else ""})
    # Open ones first: someone may be working the same question right now.
    found.sort(key=lambda s: (s["status"] in ("solved", "closed"), -s["score"]))
    return found[:SIMILAR_SHOWN]


def _duplicates(key: str, email: str, created, learned, near, recent) -> list[dict]:
    """Another ticket or thread from the same requester, or with the same text, lately."""
    since = created - timedelta(days=duplicate_days())
    found: dict[str, dict] = {}
    if email:
        for pk, number, subject in Ticket.objects.filter(
                requester_email=email, created_at__gte=since).exclude(
                subject_key_q(key, "ticket")).order_by("-created_at").values_list(
                "pk", "zendesk_id", "subject")[:3]:
            found[f"ticket:{pk}"] = {"kind": "ticket", "id": pk, "label": f"#{number or pk} "
                                     f"{subject}", "why": "same requester"}
        for pk, subject in Thread.objects.filter(
                requester_email=email, created_at__gte=since).exclude(
                subject_key_q(key, "thread")).order_by("-created_at").values_list(
                "pk", "subject")[:3]:
            found[f"thread:{pk}"] = {"kind": "thread", "id": pk, "label": subject or "(no subject)",
                                     "why": "same requester"}
    candidates = []
    if learned is not None:
        candidates = [(learned.keys[row], score, learned.when[row])
                      for row, score in near[:DUPLICATES_BY_TEXT]]
    candidates += [(f"ticket:{pk}", score, None)
                   for pk, score in sorted(recent, key=lambda r: -r[1])[:DUPLICATES_BY_TEXT]]
    since_epoch = since.timestamp()
    for other, score, when in candidates:
        # Nearly the same words (TF-IDF), or the same question however put (embeddings).
        if other in found or other == key or score < learned.thresholds["duplicate"]:
            continue
        if when is not None and when < since_epoch:
            continue
        kind, pk = other.split(":")
        found[other] = {"kind": kind, "id": int(pk), "label": other, "why": "very similar text"}
    _name_found(found)
    return list(found.values())[:5]


def _name_found(found: dict[str, dict]) -> None:
    """Text duplicates are known by key only: give them their number and subject."""
    by_text = [d for d in found.values() if d["why"] == "very similar text"]
    tickets = Ticket.objects.only("id", "zendesk_id", "subject").in_bulk(
        [d["id"] for d in by_text if d["kind"] == "ticket"])
    threads = Thread.objects.only("id", "subject").in_bulk(
        [d["id"] for d in by_text if d["kind"] == "thread"])
    for d in by_text:
        other = (tickets if d["kind"] == "ticket" else threads).get(d["id"])
        if other is None:
            found.pop(f"{d['kind']}:{d['id']}")
        elif d["kind"] == "ticket":
            d["label"] = f"#{other.number} {other.subject}"
        else:
            d["label"] = other.subject or "(no subject)"


def subject_key_q(key: str, kind: str) -> Q:
    prefix, _, pk = key.partition(":")
    return Q(pk=int(pk)) if prefix == kind else Q(pk__in=[])


# ---- threads -----------------------------------------------------------------------------------
def for_thread(thread: Thread, learned: Learned | None) -> dict:
    body = thread.messages.filter(direction="in").order_by("sent_at", "id").values_list(
        "body_text", flat=True).first() or thread.snippet
    text = history.thread_text(thread.subject, body)
    now = time.time()
    payload: dict = {"category": None, "responses": [], "duplicates": [], "cold": {}}
    vector = learned.vector(text) if learned and learned.vectorizer is not None else None
    near = learned.neighbours(vector, prefix="thread:") if vector is not None else []
    near = [(row, score) for row, score in near if learned.keys[row] != thread.subject_key]
    if learned and learned.is_learned("category"):
        ranked = learned.rank("category", vector, near, now=now, top=1)
        category = Category.objects.filter(slug=ranked[0].label).first() if ranked else None
        if category is not None:
            payload["category"] = {
                "id": category.pk, "slug": category.slug, "name": category.name,
                "label": category.slug, "is_current": category.pk == thread.category_id,
                "reason": _learned_reason(ranked[0], "agents chose it for", "thread", learned,
                                          "category")}
    else:
        payload["category"] = _rule_category(thread, text, learned)
    payload["responses"] = _responses(thread, learned, vector, near, now)
    payload["duplicates"] = _duplicates(thread.subject_key, thread.requester_email,
                                        thread.created_at, learned, near, [])
    return payload


def _rule_category(thread: Thread, text: str, learned: Learned | None) -> dict | None:
    lowered = text.lower()
    rules = CategoryRule.objects.filter(active=True).select_related("category")
    rule = next((r for r in rules if r.matches(lowered)), None)
    if rule is None:
        return None
    category = rule.category
    return {"id": category.pk, "slug": category.slug, "name": category.name,
            "label": category.slug, "is_current": category.pk == thread.category_id,
            "cold": True, "reason": f"the category rule for {category.name} matches; "
                                    + _cold("category", learned, "categorised thread")}


def _responses(thread: Thread, learned, vector, near, now) -> list[dict]:
    ranked = learned.rank("response", vector, near, now=now, top=3) \
        if learned and learned.is_learned("response") else []
    by_pk = PreparedResponse.objects.filter(active=True).in_bulk(
        [int(r.label) for r in ranked if r.label.isdigit()])
    shown = [{"id": int(r.label), "title": by_pk[int(r.label)].title, "label": r.label,
              "reason": _learned_reason(r, "sent to", "thread",
                                        learned, "response")}
             for r in ranked if r.label.isdigit() and int(r.label) in by_pk]
    if len(shown) < 3:
        # The inbox's own ranking (category, then use) fills the rest, and says so.
        taken = {s["id"] for s in shown}
        for response in inbox_selectors.ranked_responses(thread):
            if len(shown) >= 3:
                break
            if response.pk in taken or response.rank != 0:
                continue
            shown.append({"id": response.pk, "title": response.title, "label": str(response.pk),
                          "cold": True, "reason": f"prepared for {thread.category.name}, used "
                                                  f"{_plural(response.times_used, 'time')}"})
    return shown
