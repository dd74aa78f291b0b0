"""Every change the suggestions app makes: a new model version, the stored suggestions of a
ticket or thread, and agents' feedback on them."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from inbox.models import Thread
from tickets.models import Ticket

from . import compute, embeddings, history, selectors
from .learning import ENCODERS, KINDS, Learned, fit
from .models import Feedback, RefreshCursor, Suggestion, SuggestionModel

REFRESH_BATCH = 500
BACKFILL_DAYS = 30  # a first refresh covers this much, not the whole desk
BACKENDS = {"tfidf": "tfidf+sgd", "minilm": "minilm+sgd"}

log = logging.getLogger(__name__)


# ---- training ------------------------------------------------------------------------------
def chosen_encoder() -> tuple[str, str]:
    """The encoder to train with, and why it is not the one configured when it is not."""
    wanted = getattr(settings, "SUGGESTIONS_ENCODER", "tfidf")
    if wanted not in ENCODERS:
        raise ValueError(f"SUGGESTIONS_ENCODER must be one of {', '.join(ENCODERS)}, not {wanted!r}")
    if wanted == "minilm" and not embeddings.is_available():
        note = f"SUGGESTIONS_ENCODER=minilm but the embeddings extra is not installed " \
               f"({embeddings.INSTALL_HINT}): trained with TF-IDF"
        log.warning(note)
        return "tfidf", note
    return wanted, ""


def learn_from_history(encoder: str | None = None) -> tuple[Learned, dict]:
    """Fit a model on the desk's history, without storing it (evaluate uses this too)."""
    note = ""
    if encoder is None:
        encoder, note = chosen_encoder()
    started = time.perf_counter()
    docs = history.ticket_docs() + history.thread_docs()
    read = time.perf_counter() - started
    previous = selectors.current_model()[0] if encoder == "minilm" else None
    learned = fit(docs, acceptance=history.acceptance(), encoder=encoder, previous=previous)
    metrics = {
        "backend": BACKENDS[encoder], "docs": len(docs), "read_seconds": round(read, 2),
        "fit_seconds": round(time.perf_counter() - started - read, 2),
        "examples": learned.examples,
        "learned": sorted(learned.classifiers),
        "feedback": _feedback_counts(),
    }
    if encoder == "minilm":
        metrics["texts_encoded"] = learned.encoded
    if note:
        metrics["note"] = note
    return learned, metrics


def _feedback_counts() -> dict:
    counts: dict = {}
    for kind, choice in Feedback.objects.values_list("kind", "choice"):
        counts.setdefault(kind, {}).setdefault(choice, 0)
        counts[kind][choice] += 1
    return counts


def train_model() -> SuggestionModel:
    """Train and store a new version; older versions are kept (the last five) to compare."""
    started = time.perf_counter()
    learned, metrics = learn_from_history()
    data, digest = learned.dumps()
    metrics["artifact_bytes"] = len(data)
    with transaction.atomic():
        # Two trainings at once (beat and a command) cannot both store a version: it is unique.
        latest = SuggestionModel.objects.aggregate(v=Max("version"))["v"]
        row = SuggestionModel.objects.create(
            version=(latest or 0) + 1, trained_at=timezone.now(), metrics=metrics,
            artifact=data, sha256=digest, seconds=round(time.perf_counter() - started, 2))
        old = SuggestionModel.objects.order_by("-version").values_list("pk", flat=True)[5:]
        SuggestionModel.objects.filter(pk__in=list(old)).delete()
    return row


# ---- suggestions for one subject ---------------------------------------------------------
def _store(subject: str, payload: dict, version: int | None) -> Suggestion:
    row, _ = Suggestion.objects.update_or_create(subject=subject, defaults={
        "payload": payload, "model_version": version, "computed_at": timezone.now()})
    return row


def suggest_for_ticket(ticket_id: int) -> Suggestion | None:
    ticket = Ticket.objects.select_related("group").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    learned, version = selectors.current_model()
    return _store(ticket.subject_key, compute.for_ticket(ticket, learned), version)


def suggest_for_thread(thread_id: int) -> Suggestion | None:
    thread = Thread.objects.select_related("category").filter(pk=thread_id).first()
    if thread is None:
        return None
    learned, version = selectors.current_model()
    return _store(thread.subject_key, compute.for_thread(thread, learned), version)


def refresh_changed(batch: int = REFRESH_BATCH) -> int:
    """Suggest for tickets and threads changed since the last run (the syncs write in bulk,
    so no signal tells us); each walk resumes from its cursor."""
    done = 0
    for name, model, suggest in (("tickets", Ticket, suggest_for_ticket),
                                 ("threads", Thread, suggest_for_thread)):
        cursor, _ = RefreshCursor.objects.get_or_create(name=name, defaults={
            "updated_at": timezone.now() - timedelta(days=BACKFILL_DAYS)})
        after = Q(updated_at__gt=cursor.updated_at) | Q(updated_at=cursor.updated_at,
                                                         pk__gt=cursor.last_id)
        rows = model.objects.filter(after).order_by("updated_at", "id").values_list(
            "pk", "updated_at")[:batch]
        for pk, at in rows:
            suggest(pk)
            cursor.updated_at, cursor.last_id = at, pk
            done += 1
        cursor.save()
    return done


def refresh_open(limit: int = 2_000) -> int:
    """After a new model: the open tickets and threads most recently worked get suggestions
    from it now; the rest follow as they change."""
    done = 0
    for pk in Ticket.objects.filter(status__in=Ticket.UNSOLVED).order_by(
            "-updated_at", "-id").values_list("pk", flat=True)[:limit]:
        suggest_for_ticket(pk)
        done += 1
    for pk in Thread.objects.exclude(status=Thread.Status.DONE).order_by(
            "-updated_at", "-id").values_list("pk", flat=True)[:limit // 4]:
        suggest_for_thread(pk)
        done += 1
    return done


# ---- feedback -------------------------------------------------------------------------------
def record_feedback(*, subject: str, kind: str, choice: str, suggested: str = "",
                    chosen: str = "", actor=None, version: int | None = None) -> Feedback:
    if kind not in KINDS or choice not in Feedback.Choice.values:
        raise ValueError(f"Unknown feedback {kind}/{choice}")
    return Feedback.objects.create(subject=subject, kind=kind, choice=choice,
                                   suggested=suggested[:200], chosen=chosen[:200], actor=actor,
                                   model_version=version)


def _top(row: Suggestion | None, kind: str) -> tuple[str, list[str]]:
    """The top label of `kind` in a stored suggestion, and every label it offered."""
    if row is None:
        return "", []
    payload = row.payload
    if kind == "macro":
        labels = [m["label"] for m in payload.get("macros", [])]
    elif kind == "response":
        labels = [r["label"] for r in payload.get("responses", [])]
    else:
        one = payload.get("delegate" if kind == "delegate" else "category")
        labels = [one["label"]] if one and one.get("label") else []
    return (labels[0] if labels else ""), labels


def note_action(*, subject: str, kind: str, chosen: str, actor=None) -> Feedback | None:
    """An agent did something a suggestion was about: taken if it was offered (in the top
    three), corrected if something else was offered; nothing when nothing was."""
    row = selectors.suggestion_for(subject)
    top, offered = _top(row, kind)
    if not offered:
        return None
    choice = Feedback.Choice.TAKEN if chosen in offered else Feedback.Choice.CORRECTED
    return record_feedback(subject=subject, kind=kind, choice=choice,
                           suggested=chosen if choice == Feedback.Choice.TAKEN else top,
                           chosen=chosen, actor=actor, version=row.model_version)


def note_ignored(*, subject: str, actor=None) -> list[Feedback]:
    """The ticket was solved: each kind it offered that the agent neither took nor corrected
    (nor dismissed already) was ignored."""
    row = selectors.suggestion_for(subject)
    answered = set(Feedback.objects.filter(subject=subject).values_list("kind", flat=True))
    ignored = []
    for kind in ("macro", "delegate"):
        top, _offered = _top(row, kind)
        if top and kind not in answered:
            ignored.append(record_feedback(subject=subject, kind=kind,
                                           choice=Feedback.Choice.IGNORED, suggested=top,
                                           actor=actor, version=row.model_version))
    return ignored


def dismiss(*, subject: str, kind: str, label: str, actor) -> Feedback:
    """"Not helpful": the agent ignored this suggestion on purpose."""
    row = selectors.suggestion_for(subject)
    return record_feedback(subject=subject, kind=kind, choice=Feedback.Choice.IGNORED,
                           suggested=label, actor=actor,
                           version=row.model_version if row else None)


def subject_changed(*, subject: str, kind: str = "", chosen: str = "", actor=None) -> None:
    """The worker's side of a change: note what the agent did against what was suggested
    (before the suggestion moves on), then suggest afresh."""
    prefix, _, pk = subject.partition(":")
    if kind == "delegate" and not chosen:
        chosen = history.routed_team(subject) or ""
    if kind == "solved":
        note_ignored(subject=subject, actor=actor)
    elif kind and chosen:
        note_action(subject=subject, kind=kind, chosen=chosen, actor=actor)
    if prefix == "ticket":
        suggest_for_ticket(int(pk))
    elif prefix == "thread":
        suggest_for_thread(int(pk))
