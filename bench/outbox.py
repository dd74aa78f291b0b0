"""Outbox drain speed: N agent actions over M Zendesk tickets, delivered by a real worker.

    python bench/outbox.py --actions 1000 --tickets 50                     # embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench_outbox \\
    REDIS_URL=redis://127.0.0.1:6379/14 python bench/outbox.py               # PostgreSQL + Redis

The fake Zendesk and a Celery worker (2 processes) run as their own processes, as in
production; this process plays the web tier, writing each action (an internal note with a
unique marker) in its own transaction. By default the actions are written first, as a
burst the worker then meets as a backlog (one drain task queued per action); --live starts
the worker first, so delivery runs while the writes go on. When the outbox is empty, every
ticket's comments are read back from the fake: a marker missing is a lost action, a marker
twice a doubled one. Prints rows/s from the first to the last delivery; the last line is
key=value.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EDUDESK_VAR_DIR", str(ROOT / "var" / "bench-outbox"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import print_figures  # noqa: E402
from integrations.models import OutboxMessage  # noqa: E402
from integrations.zendesk.client import ZendeskClient  # noqa: E402
from people.models import AuditEvent  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tickets import services  # noqa: E402
from tickets.models import Comment, Ticket  # noqa: E402


def start(argv: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, text=True)


def most_in_window(times: list[float], seconds: float) -> int:
    best, low = 0, 0
    for high, at in enumerate(times):
        while at - times[low] >= seconds:
            low += 1
        best = max(best, high - low + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="Zendesk requests per minute for EduDesk's budget and the fake "
                             "(0 = off)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--live", action="store_true",
                        help="start the worker before writing, so both run at once")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    for model in (AuditEvent, OutboxMessage):
        model.objects.all()._raw_delete(connection.alias)
    Comment.objects.all()._raw_delete(connection.alias)
    Ticket.objects.all()._raw_delete(connection.alias)
    python = sys.executable
    fake = start([python, "-m", "integrations.zendesk.fake", "--tickets", str(args.tickets),
                  "--comments-per-ticket", "0", "--rate-limit", str(args.rate_limit),
                  "--incremental-rate-limit", "0"], dict(os.environ))
    base = fake.stdout.readline().strip()
    env = {**os.environ, "ZENDESK_URL": base, "ZENDESK_EMAIL": "api@edudesk.example",
           "ZENDESK_API_TOKEN": "bench",
           "ZENDESK_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
           "ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE": "0"}
    for key in ("ZENDESK_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"):
        setattr(settings, key, env[key])
    settings.ZENDESK_RATE_LIMIT_PER_MINUTE = args.rate_limit
    settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE = 0
    worker = None
    try:
        subprocess.run([python, "manage.py", "zendesk_sync", "--full", "-v", "0"], cwd=ROOT,  # noqa: S603
                       env=env, check=True)
        tickets = list(Ticket.objects.exclude(status__in=["solved", "closed"]).values_list(
            "pk", flat=True))
        agent = UserFactory(username="bench-agent")
        worker_argv = [python, "-m", "celery", "-A", "edudesk", "worker", "--concurrency", "2",
                       "--loglevel", "WARNING"]
        if args.live:
            worker = start(worker_argv, env)
            time.sleep(3)  # the worker's start-up is not what is measured
        rng = random.Random(1)
        started = time.perf_counter()
        for n in range(args.actions):
            services.add_comment(ticket_id=rng.choice(tickets), actor=agent,
                                 body=f"bench marker {n:06d}", public=False)
        written = time.perf_counter() - started
        print(f"{args.actions:,} actions written in {written:.1f} s "
              f"({args.actions / written:,.0f}/s); draining ...", flush=True)
        if worker is None:
            worker = start(worker_argv, env)
        deadline = started + args.timeout
        while OutboxMessage.objects.filter(state="queued").exists():
            if time.perf_counter() > deadline:
                raise SystemExit("outbox did not drain in time")
            time.sleep(0.05)
        drained = time.perf_counter() - started
        first, last = (OutboxMessage.objects.order_by(order).values_list("sent_at", flat=True)
                       .first() for order in ("sent_at", "-sent_at"))
        delivering = max((last - first).total_seconds(), 0.001)
        sent_times = sorted(t.timestamp() for t in OutboxMessage.objects.exclude(
            sent_at=None).values_list("sent_at", flat=True))
        if worker is not None:
            worker.terminate()  # before counting: nothing may be delivered after
            worker.wait(timeout=20)
            worker = None
        client = ZendeskClient(base, email="api@edudesk.example", api_token="bench")
        seen: Counter = Counter()
        for ticket_id in Ticket.objects.values_list("zendesk_id", flat=True):
            for comment in client.list_comments(ticket_id):
                body = comment.get("html_body") or comment.get("body") or ""
                if "bench marker " in body:
                    seen[body.split("bench marker ")[1][:6]] += 1
    finally:
        # A failed run (a sync refused, a drain that timed out) leaves no process behind.
        for process in (worker, fake):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
    states = Counter(OutboxMessage.objects.values_list("state", flat=True))
    figures = {
        "db": connection.vendor, "broker": settings.CELERY_BROKER_URL.split(":")[0],
        "actions": args.actions, "tickets": len(tickets),
        "rate_limit_per_minute": args.rate_limit,
        "mode": "live" if args.live else "backlog", "write_per_s": round(args.actions / written),
        "seconds": round(drained, 1), "delivery_seconds": round(delivering, 1),
        "rows_per_s": round(args.actions / delivering, 1),
        # With a budget: the most rows sent in any window of the budget's length (60 s).
        "max_rows_in_60s": most_in_window(sent_times, 60.0),
        "sent": states["sent"], "conflicts": states["conflict"], "failed": states["failed"],
        "lost": args.actions - len(seen), "duplicates": sum(c - 1 for c in seen.values()),
    }
    print(f"{args.actions:,} actions over {len(tickets)} tickets delivered in {delivering:.1f} s: "
          f"{figures['rows_per_s']} rows/s; {figures['conflicts']} conflicts, "
          f"{figures['lost']} lost, {figures['duplicates']} doubled")
    print_figures(figures)


if __name__ == "__main__":
    main()
