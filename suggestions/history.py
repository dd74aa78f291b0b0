"""The desk's history as training examples: what agents did to tickets (macros applied,
routing decisions, the team that ended up with them) and to threads (categories, corrected
ones counting more, and the prepared responses sent)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from inbox.models import Category, Message, PreparedResponse, Thread
from people.models import AgentProfile, AuditEvent, Team
from tickets.models import Macro, RoutingRule, Ticket

from .learning import Doc
from .models import Feedback

MAX_TICKETS = 200_000  # the most recent; older history adds little and costs memory
MAX_THREADS = 50_000
TEXT_CHARS = 1_500
# A corrected category is an agent's own answer; a rule's choice that stood is weaker.
WEIGHT_CORRECTED, WEIGHT_RULE = 3.0, 1.0
# The group a ticket sits in says less than an explicit routing decision.
WEIGHT_GROUP, WEIGHT_ROUTED = 0.5, 2.0
FEEDBACK_WEIGHT = {Feedback.Choice.TAKEN: 1.5, Feedback.Choice.CORRECTED: 3.0}


def ticket_text(subject: str, description: str) -> str:
    # The subject says most in the fewest words: count it twice.
    return f"{subject}\n{subject}\n{(description or '')[:TEXT_CHARS]}"


def thread_text(subject: str, body: str) -> str:
    return ticket_text(subject, body)


def ticket_docs(limit: int = MAX_TICKETS) -> list[Doc]:
    rows = list(Ticket.objects.order_by("-created_at", "-id").values_list(
        "pk", "subject", "description", "group__name", "status", "created_at", "tags")[:limit])
    docs = {pk: Doc(key=f"ticket:{pk}", text=ticket_text(subject, description),
                    when=created.timestamp())
            for pk, subject, description, _g, _s, created, _t in rows}
    keys = {f"ticket:{pk}": pk for pk in docs}
    macros = {m.title: m for m in Macro.objects.all()}
    route_teams = _route_teams()
    solved = {pk for pk, _s, _d, _g, status, _c, _t in rows if status in ("solved", "closed")}
    since = rows[-1][5] if rows else None
    _macro_events(docs, keys, macros, solved, since)
    _route_events(docs, keys, route_teams, solved, since)
    for pk, _s, _d, group, status, _c, tags in rows:
        doc = docs[pk]
        if group and "delegate" not in doc.labels:
            doc.labels["delegate"], doc.weights["delegate"] = group, WEIGHT_GROUP
        if "macro" not in doc.labels and tags.strip():
            # A ticket from Zendesk carries the tags its macros added, not the macro itself.
            macro = _macro_by_tags(tags, macros.values())
            if macro:
                doc.labels["macro"] = str(macro.pk)
                if status in ("solved", "closed"):
                    doc.resolution = f"solved with macro “{macro.title}”"
        if pk in solved and not doc.resolution:
            doc.resolution = "solved with a reply"
    _feedback(docs, keys, "ticket:")
    return list(docs.values())


def _macro_by_tags(tags: str, macros) -> Macro | None:
    present = set(tags.split())
    return next((m for m in macros if m.add_tags.strip() and set(m.add_tags.split()) <= present),
                None)


# A macro is applied in one click ("macro") or through the reply box it filled, as the
# agent's edited reply or note, whose audit line names the macro.
MACRO_VERBS = ("macro", "reply", "note")


def _macro_events(docs, keys, macros, solved, since) -> None:
    for subject, changes in _events(MACRO_VERBS, keys, since,
                                    Q(verb="macro") | Q(changes__has_key="macro")):
        macro = macros.get((changes or {}).get("macro"))
        if macro is None:
            continue
        doc = docs[keys[subject]]
        doc.labels["macro"], doc.weights["macro"] = str(macro.pk), 1.0
        if keys[subject] in solved:
            doc.resolution = f"solved with macro “{macro.title}”"


def _route_teams() -> dict[str, str]:
    """Names a route event may carry (rule, team, person) -> the team it went to."""
    names: dict[str, str] = {t.name: t.name for t in Team.objects.all()}
    for profile in AgentProfile.objects.select_related("user", "team").exclude(team=None):
        user = profile.user
        names[user.get_full_name() or user.get_username()] = profile.team.name
    for rule in RoutingRule.objects.select_related("delegate_team"):
        if rule.delegate_team is not None:
            names[f"rule:{rule.name}"] = rule.delegate_team.name
    return names


def _route_events(docs, keys, teams, solved, since) -> None:
    for subject, changes in _events("route", keys, since):
        changes = changes or {}
        team = teams.get(f"rule:{changes.get('rule')}") if changes.get("rule") else None
        team = team or teams.get(changes.get("routed_to") or "")
        if team is None:
            continue
        doc = docs[keys[subject]]
        doc.labels["delegate"], doc.weights["delegate"] = team, WEIGHT_ROUTED
        if keys[subject] in solved and not doc.resolution:
            doc.resolution = f"routed to {team}"


def _events(verb: str | tuple[str, ...], keys: dict[str, int], since, also: Q | None = None):
    """The `verb` events of the tickets in `keys` (matching `also`), oldest first: a walk of
    the (verb, time) index from the oldest of them, instead of an IN list of 200,000 names."""
    verbs = (verb,) if isinstance(verb, str) else verb
    events = AuditEvent.objects.filter(verb__in=verbs, subject__startswith="ticket:")
    if also is not None:
        events = events.filter(also)
    if since is not None:
        events = events.filter(created_at__gte=since)
    for subject, changes in events.order_by("created_at", "id").values_list(
            "subject", "changes").iterator(chunk_size=5_000):
        if subject in keys:
            yield subject, changes


def thread_docs(limit: int = MAX_THREADS) -> list[Doc]:
    rows = list(Thread.objects.order_by("-created_at", "-id").values_list(
        "pk", "subject", "snippet", "category__slug", "category_corrected", "created_at")[:limit])
    bodies = _first_messages([pk for pk, *_ in rows])
    docs = {}
    for pk, subject, snippet, category, corrected, created in rows:
        doc = Doc(key=f"thread:{pk}", text=thread_text(subject, bodies.get(pk, snippet)),
                  when=created.timestamp())
        if category:
            doc.labels["category"] = category
            doc.weights["category"] = WEIGHT_CORRECTED if corrected else WEIGHT_RULE
        docs[pk] = doc
    sent = Message.objects.filter(direction=Message.Direction.OUTBOUND,
                                  prepared_response__isnull=False)
    if rows:
        sent = sent.filter(sent_at__gte=rows[-1][5])
    for thread_id, response_id in sent.order_by("sent_at", "id").values_list(
            "thread_id", "prepared_response_id").iterator(chunk_size=5_000):
        if thread_id not in docs:
            continue
        docs[thread_id].labels["response"] = str(response_id)
        docs[thread_id].weights["response"] = 1.0
    keys = {doc.key: pk for pk, doc in docs.items()}
    _feedback(docs, keys, "thread:")
    return list(docs.values())


def _first_messages(thread_ids: list[int]) -> dict[int, str]:
    """The first inbound message's text of each thread (what the requester asked)."""
    first: dict[int, str] = {}
    for start in range(0, len(thread_ids), 5_000):  # IN lists SQLite accepts
        chunk = thread_ids[start:start + 5_000]
        for thread_id, text in (Message.objects.filter(thread_id__in=chunk,
                                                       direction=Message.Direction.INBOUND)
                                .order_by("thread_id", "sent_at", "id")
                                .values_list("thread_id", "body_text")):
            first.setdefault(thread_id, (text or "")[:TEXT_CHARS])
    return first


def _feedback(docs, keys, prefix: str) -> None:
    """Agents' taken or corrected suggestions weigh more than the plain history."""
    rows = Feedback.objects.filter(subject__startswith=prefix).filter(
        Q(choice=Feedback.Choice.TAKEN) | Q(choice=Feedback.Choice.CORRECTED)).order_by(
        "created_at").values_list("subject", "kind", "choice", "suggested", "chosen")
    for subject, kind, choice, suggested, chosen in rows.iterator(chunk_size=5_000):
        pk = keys.get(subject)
        label = chosen or suggested
        if pk is None or not label:
            continue
        docs[pk].labels[kind] = label
        docs[pk].weights[kind] = max(docs[pk].weights.get(kind, 1.0), FEEDBACK_WEIGHT[choice])


def acceptance() -> dict[str, dict[str, float]]:
    """Per kind and label, how often agents took it rather than ignored it (smoothed: a label
    nobody ignored keeps 1.0; one ignored 8 times out of 10 drops to a third)."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for kind, choice, suggested in Feedback.objects.values_list("kind", "choice", "suggested"):
        if suggested:
            counts[(kind, suggested)][0 if choice == Feedback.Choice.TAKEN else 1] += 1
    result: dict[str, dict[str, float]] = defaultdict(dict)
    for (kind, label), (taken, missed) in counts.items():
        result[kind][label] = (taken + 2) / (taken + missed + 2)
    return dict(result)


def label_names() -> dict[str, dict[str, str]]:
    """How each label reads to a person, per kind."""
    return {
        "macro": {str(pk): title for pk, title in Macro.objects.values_list("pk", "title")},
        "response": {str(pk): title for pk, title in PreparedResponse.objects.values_list(
            "pk", "title")},
        "category": dict(Category.objects.values_list("slug", "name")),
    }


def routed_team(subject: str) -> str | None:
    """The team a ticket's latest routing decision sent it to (or consulted)."""
    changes = AuditEvent.objects.filter(verb="route", subject=subject).order_by(
        "-created_at", "-id").values_list("changes", flat=True).first() or {}
    teams = _route_teams()
    if changes.get("rule") and f"rule:{changes['rule']}" in teams:
        return teams[f"rule:{changes['rule']}"]
    return teams.get(changes.get("routed_to") or "")
