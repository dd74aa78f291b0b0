"""Draining many lanes at once: one claim for the heads of up to BATCH_SIZE lanes, one call of
the adapter's batch deliverer, the sent rows recorded in one UPDATE.

A bulk issue queues thousands of one-row lanes. Drained a lane at a time, each row costs a
Celery task, a claim of three queries and the deliverer's own reads and writes, several times
what the upstream call costs. Here the claim and the bookkeeping are shared by the batch and
the deliverer reads and writes its own rows in bulk; the order within a lane, the claim's
expiry, the idempotency of a retried row and the retry policy are the outbox's, unchanged. A
failure is settled row by row through the outbox, as in the one-lane path.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from . import outbox, rows
from .errors import PermanentError, UpstreamError
from .models import OutboxMessage

log = logging.getLogger(__name__)
BATCH_SIZE = 50
# Looks a claim takes when other workers' claims keep beating it to the same rows.
CLAIM_TRIES = 5
QUEUED = OutboxMessage.State.QUEUED


def _heads(system: str, now):
    """Due, unclaimed rows of `system` that are the oldest queued row of their lane.

    The lane's head is a correlated scalar subquery rather than NOT EXISTS: PostgreSQL runs
    it per row through the lane index whatever its statistics say. Right after a bulk
    upload they say "no queued rows", and the anti-join planned from that compared every
    queued row with every other (290 ms a claim at 1,000 rows).
    """
    head = OutboxMessage.objects.filter(system=system, subject=OuterRef("subject"),
                                        state=QUEUED).order_by("pk").values("pk")[:1]
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    return OutboxMessage.objects.filter(free, system=system, state=QUEUED,
                                        next_attempt_at__lte=now, pk=Subquery(head))


def claim(system: str, limit: int = BATCH_SIZE) -> list[OutboxMessage]:
    """Claim up to `limit` lane heads; the rows claimed, in lane-head order.

    The UPDATE repeats every condition of the SELECT, so a head that another worker claimed
    (or that stopped being a head) in between is left out. On PostgreSQL the SELECT skips
    rows another worker's claim has locked, so two workers take two different batches at
    once; elsewhere a claim that came away empty-handed because of another looks again.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    for _ in range(CLAIM_TRIES):
        now = timezone.now()
        until = now + timedelta(seconds=outbox.CLAIM_SECONDS)
        with transaction.atomic():
            # In the order of the due index, so the pick reads no more rows than it takes.
            heads = _heads(system, now).order_by("next_attempt_at", "pk")
            if skip_locked:
                heads = heads.select_for_update(skip_locked=True, of=("self",))
            ids = list(heads.values_list("pk", flat=True)[:limit])
            if not ids:
                return []
            taken = _heads(system, now).filter(pk__in=ids).update(
                attempts=F("attempts") + 1, claimed_at=now, claimed_until=until)
        if taken:
            # Its expiry names our claim, as in the outbox's one-row path.
            return list(OutboxMessage.objects.filter(pk__in=ids, claimed_until=until)
                        .order_by("pk"))
    return []


def deliver(messages: list[OutboxMessage]) -> list[outbox.Outcome]:
    """Deliver claimed rows of one system through its batch deliverer and record each."""
    if not messages:
        return []
    system = messages[0].system
    deliverer = outbox.batch_deliverer(system)
    if deliverer is None:
        answers: list = [PermanentError(f"No batch deliverer for system {system!r}")] * len(messages)
    else:
        answers = deliverer(messages)
    if len(answers) != len(messages):
        raise RuntimeError(f"{system} batch deliverer answered {len(answers)} of {len(messages)}")
    policy = outbox.policy_of(system)
    sent_at = timezone.now()
    outcomes: list[outbox.Outcome] = []
    sent: list[OutboxMessage] = []
    for message, answer in zip(messages, answers, strict=True):
        if isinstance(answer, UpstreamError):
            outcomes.append(outbox.settle(message, answer, policy))
            continue
        message.state = OutboxMessage.State.SENT
        message.response = {**(message.response or {}), **(answer or {})}
        sent.append(message)
    # Written only where our claim still holds (an agent's retry or a newer claim wins).
    recorded = rows.update_each(OutboxMessage, [
        ({"state": message.state, "sent_at": sent_at, "last_error": "",
          "response": message.response, "claimed_at": None, "claimed_until": None},
         {"pk": message.pk, "state": QUEUED, "claimed_until": message.claimed_until})
        for message in sent])
    if recorded < len(sent):
        log.warning("outbox: %d of %d %s rows lost their claim before being recorded",
                    len(sent) - recorded, len(sent), system)
    outcomes += [outbox.Outcome(OutboxMessage.State.SENT)] * recorded
    outcomes += [outbox.Outcome("skipped")] * (len(sent) - recorded)
    return outcomes


def drain(system: str, *, seconds: float = outbox.DRAIN_SECONDS,
          limit: int = BATCH_SIZE) -> list[outbox.Outcome]:
    """Deliver batches of `system`'s due lane heads until none is left or time is up.

    A full batch asks for one more task first, so that a second worker drains beside this
    one; rows left to retry ask for a task when the earliest of them is due.
    """
    outbox.forget_dispatch(outbox.system_key(system))
    started = time.monotonic()
    outcomes: list[outbox.Outcome] = []
    while True:
        messages = claim(system, limit)
        if not messages:
            break
        if len(messages) == limit:
            outbox.dispatch(system, "")
        outcomes += deliver(messages)
        if time.monotonic() - started > seconds:
            outbox.dispatch(system, "")
            break
    retries = [o.retry_in for o in outcomes if o.retry_in is not None]
    if retries:
        # Not through the dispatch key: a task held back for a retry must not hold back
        # the rows queued meanwhile.
        outbox.dispatch_later(system, min(retries))
    return outcomes
