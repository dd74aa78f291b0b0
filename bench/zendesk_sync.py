"""Zendesk full-sync speed: N tickets (3 comments each) from the fake, rate limits off.

    EDUDESK_VAR_DIR=/tmp/zdbench python bench/zendesk_sync.py --tickets 20000      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/zendesk_sync.py

The fake runs in its own process (as Zendesk would), so this process's peak memory is the
sync's own: it should not grow with N, because pages are streamed and never accumulated.
Prints tickets/s ingested and peak memory; the last line is key=value figures.
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import print_figures, rss_mb, start_fake  # noqa: E402
from integrations.models import OutboxMessage, SyncState  # noqa: E402
from integrations.zendesk import sync  # noqa: E402
from integrations.zendesk.models import ZendeskUser  # noqa: E402
from people.models import AuditEvent  # noqa: E402
from tickets.models import Comment, Ticket  # noqa: E402


def start_fake_zendesk(tickets: int, comments: int):
    return start_fake("zendesk", "--tickets", str(tickets), "--comments-per-ticket",
                      str(comments), "--rate-limit", "0", "--incremental-rate-limit", "0")


def reset() -> None:
    """Forget earlier runs' Zendesk data (raw deletes: Django's cascade would take minutes)."""
    zendesk_tickets = Ticket.objects.filter(zendesk_id__isnull=False)
    Comment.objects.filter(ticket__in=zendesk_tickets)._raw_delete(connection.alias)
    for model in (AuditEvent, OutboxMessage):
        model.objects.filter(subject__startswith="ticket:")._raw_delete(connection.alias)
    zendesk_tickets._raw_delete(connection.alias)
    ZendeskUser.objects.all()._raw_delete(connection.alias)
    SyncState.objects.filter(system=sync.SYSTEM).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments-per-ticket", type=int, default=3)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure Python allocations (slows the run about 2x)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    reset()
    print(f"fake Zendesk: seeding {args.tickets:,} tickets ...", flush=True)
    fake, base = start_fake_zendesk(args.tickets, args.comments_per_ticket)
    settings.ZENDESK_URL, settings.ZENDESK_EMAIL = base, "api@edudesk.example"
    settings.ZENDESK_API_TOKEN, settings.ZENDESK_RATE_LIMIT_PER_MINUTE = "bench", 0
    settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = 0
    baseline = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()

    def progress(state) -> None:
        done = state.last_run_counts.get("tickets", 0)
        print(f"\r{state.phase:<9} tickets {done:,}  comments "
              f"{state.last_run_counts.get('comments', 0):,}  "
              f"({done / (time.perf_counter() - started):,.0f} tickets/s)", end="", flush=True)

    try:
        started = time.perf_counter()
        result = sync.run_sync(full=True, per_page=args.per_page, progress=progress)
        seconds = time.perf_counter() - started
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    print()
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    tickets, comments = result.counts["tickets"], result.counts["comments"]
    assert tickets == args.tickets, f"imported {tickets} of {args.tickets} tickets"
    assert Comment.objects.filter(ticket__zendesk_id__isnull=False).count() == (
        args.tickets * max(args.comments_per_ticket, 1))
    figures = {
        "db": connection.vendor, "tickets": tickets, "comments": comments,
        "seconds": round(seconds, 1), "tickets_per_s": round(tickets / seconds),
        "comments_per_s": round(comments / seconds),
        "peak_rss_mb": round(rss_mb()), "rss_growth_mb": round(rss_mb() - baseline),
    }
    if traced is not None:
        figures["tracemalloc_peak_mb"] = round(traced, 1)
    print(f"{tickets:,} tickets and {comments:,} comments in {seconds:.1f} s: "
          f"{figures['tickets_per_s']:,} tickets/s; peak RSS {figures['peak_rss_mb']} MB "
          f"(+{figures['rss_growth_mb']} MB during the sync)")
    print_figures(figures)


if __name__ == "__main__":
    main()
