"""Gmail full-sync speed: N messages of the group's mail from the fake into inbox threads.

    EDUDESK_VAR_DIR=/tmp/inboxbench python bench/inbox_sync.py --messages 20000      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/inbox_sync.py

The fake runs in its own process (as Gmail would), so this process's peak memory is the
sync's own: it should not grow with N, because pages are streamed and never accumulated.
Prints messages/s stored and peak memory; the last line is key=value figures.
"""

import argparse
import os
import subprocess
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

from inbox.models import Mailbox, Message, Thread  # noqa: E402
from integrations.gmail import sync  # noqa: E402
from integrations.models import OutboxMessage, SyncState  # noqa: E402
from people.models import AuditEvent  # noqa: E402

GROUP, MAILBOX, TOKEN = "levelup@edudesk.example", "desk@edudesk.example", "ya29.bench"
from bench.common import print_figures, rss_mb, start_fake  # noqa: E402


def start_fake_gmail(messages: int):
    return start_fake("gmail", "--messages", str(messages), "--token", TOKEN, "--group", GROUP,
                      "--mailbox", MAILBOX)


def reset() -> None:
    """Forget earlier runs' mail (raw deletes: Django's cascade would take minutes)."""
    Message.objects.all()._raw_delete(connection.alias)
    for model in (AuditEvent, OutboxMessage):
        model.objects.filter(subject__startswith="thread:")._raw_delete(connection.alias)
    Thread.objects.all()._raw_delete(connection.alias)
    Mailbox.objects.filter(address=GROUP).delete()
    SyncState.objects.filter(system=sync.SYSTEM).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=sync.PAGE_SIZE)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also measure Python allocations (slows the run about 2x)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    reset()
    print(f"fake Gmail: seeding {args.messages:,} messages ...", flush=True)
    fake, base = start_fake_gmail(args.messages)
    settings.GMAIL_API_URL, settings.GMAIL_MAILBOX = base, MAILBOX
    settings.GMAIL_GROUP_ADDRESS, settings.GMAIL_OAUTH_TOKEN = GROUP, TOKEN
    baseline = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()

    def progress(state) -> None:
        done = state.last_run_counts.get("messages", 0)
        print(f"\r{state.phase:<9} messages {done:,}  threads "
              f"{state.last_run_counts.get('threads_created', 0):,}  "
              f"({done / (time.perf_counter() - started):,.0f} messages/s)", end="", flush=True)

    try:
        started = time.perf_counter()
        result = sync.run_sync(full=True, page_size=args.page_size, progress=progress)
        seconds = time.perf_counter() - started
    finally:
        fake.terminate()
        try:
            fake.wait(timeout=30)  # a large seeded mailbox takes a while to let go of
        except subprocess.TimeoutExpired:
            fake.kill()
    print()
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    messages, threads = result.counts["messages"], result.counts["threads_created"]
    assert messages == args.messages == Message.objects.count(), (
        f"stored {messages} of {args.messages} messages")
    figures = {
        "db": connection.vendor, "messages": messages, "threads": threads,
        "seconds": round(seconds, 1), "messages_per_s": round(messages / seconds),
        "peak_rss_mb": round(rss_mb()), "rss_growth_mb": round(rss_mb() - baseline),
    }
    if traced is not None:
        figures["tracemalloc_peak_mb"] = round(traced, 1)
    print(f"{messages:,} messages in {threads:,} threads in {seconds:.1f} s: "
          f"{figures['messages_per_s']:,} messages/s; peak RSS {figures['peak_rss_mb']} MB "
          f"(+{figures['rss_growth_mb']} MB during the sync)")
    print_figures(figures)


if __name__ == "__main__":
    main()
