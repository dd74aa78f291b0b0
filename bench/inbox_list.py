"""Inbox list speed at scale: seeds N threads, then times the pages the member on duty uses.

    python bench/inbox_list.py                       # 200,000 threads, configured database
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/inbox_list.py

Prints median and p95 server time and SQL queries per request for the list (default, each
filter, a page 400 deep) and the thread page; the last line is key=value figures. Requests go
through Django's full stack in-process, as in bench/console.py.
"""

import argparse
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import print_figures  # noqa: E402
from bench.console import bench_user, measure  # noqa: E402
from inbox import selectors  # noqa: E402
from inbox.models import Category, Mailbox, Message, Thread  # noqa: E402
from inbox.services import mailbox_for  # noqa: E402
from people.pagination import encode_cursor  # noqa: E402

GROUP = "levelup-bench@edudesk.example"
STATUSES = [Thread.Status.OPEN] * 3 + [Thread.Status.WAITING] * 2 + [Thread.Status.DONE] * 5


def seed(target: int, agents: list, batch: int = 5_000) -> Mailbox:
    mailbox = mailbox_for(GROUP, "LevelUp bench")
    have = Thread.objects.filter(mailbox=mailbox).count()
    categories = list(Category.objects.all()) or [None]
    rng, now = random.Random(have), timezone.now()
    while have < target:
        n = min(batch, target - have)
        threads = []
        for i in range(have, have + n):
            at = now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            status = rng.choice(STATUSES)
            threads.append(Thread(
                mailbox=mailbox, gmail_thread_id=f"bench{i:09x}", subject=f"Question {i}",
                snippet="I passed the exam but have no badge yet", requester_name=f"Learner {i}",
                requester_email=f"learner{i}@example.org", status=status,
                category=rng.choice(categories), message_count=1,
                assignee=rng.choice([None, None, *agents]), created_at=at, last_message_at=at,
                asked_at=at, first_response_due_at=at + timedelta(hours=8),
                responded_at=None if status == Thread.Status.OPEN else at + timedelta(hours=2),
                updated_at=at))
        Thread.objects.bulk_create(threads, batch_size=1_000)
        messages = [Message(thread=t, gmail_id=f"m{t.gmail_thread_id}", subject=t.subject,
                            from_name=t.requester_name, from_address=t.requester_email,
                            body_text="Hello, I passed the exam last week but no badge came.",
                            sent_at=t.last_message_at) for t in threads if t.pk]
        Message.objects.bulk_create(messages, batch_size=1_000)
        have += n
        print(f"\rseeded {have:,} threads", end="", flush=True)
    print()
    return mailbox


def deep_cursor(user, depth: int) -> str | None:
    filters = selectors.ThreadFilters(status="any")
    row = list(selectors.threads_filtered(filters, user, timezone.now()).order_by(
        "-last_message_at", "-id").values("last_message_at", "id")[depth - 1:depth])
    return encode_cursor(row[0]["last_message_at"], row[0]["id"], False) if row else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    agents = bench_user()
    seed(args.threads, agents)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load
            cursor.execute("ANALYZE inbox_thread; ANALYZE inbox_message")
    user = agents[0]
    client = Client()
    client.force_login(user)
    category = Category.objects.order_by("pk").values_list("slug", flat=True).first()
    ids = list(Thread.objects.order_by("?").values_list("pk", flat=True)[:50])
    cursor = deep_cursor(user, 400 * settings.CONSOLE_PAGE_SIZE)
    cases = {
        "list_default": ["/inbox/"],
        "list_mine": ["/inbox/?mine=1"],
        "list_unassigned": ["/inbox/?unassigned=1"],
        "list_overdue": ["/inbox/?overdue=1"],
        "list_category": [f"/inbox/?category={category}"] if category else None,
        "list_done": ["/inbox/?status=done"],
        "list_page_400": [f"/inbox/?status=any&cursor={cursor}"] if cursor else None,
        "thread_page": [f"/inbox/threads/{pk}/" for pk in ids],
    }
    total = Thread.objects.count()
    print(f"{connection.vendor}, {total:,} threads, {args.repeat} requests per case")
    print(f"{'case':<16} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    figures = {"db": connection.vendor, "threads": total}
    for name, urls in cases.items():
        if urls is None:
            continue
        result = measure(client, urls, args.repeat)
        print(f"{name:<16} {result['median']:>10.1f} {result['p95']:>10.1f} {result['queries']:>8}")
        figures[f"{name}_p95_ms"] = round(result["p95"], 1)
        figures[f"{name}_queries"] = result["queries"]
    print_figures(figures)


if __name__ == "__main__":
    main()
