"""Report speed at scale: seeds N badges over 36 months (and M inbox threads), then times
each report page and its CSV.

    python bench/reports.py --badges 100000 --threads 20000       # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/reports.py   # 1,000,000 / 200,000

Prints, per page: the first request (which builds the monthly counts and per-thread figures
the reports keep current from then on), then median and p95 server time and SQL queries per
request (Django's full stack in-process, signed in as a manager); the last line is key=value
figures. Target: p95 under 200 ms on PostgreSQL.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from badges.models import Audience, Badge, BadgeTemplate  # noqa: E402
from bench.common import print_figures  # noqa: E402
from people import roles  # noqa: E402

MONTHS = 36
AUDIENCES = ("Customers", "Partners", "Team members")


def _analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE")


def seed_badges(target: int) -> None:
    existing = Badge.objects.count()
    if existing >= target:
        print(f"database has {existing:,} badges already", flush=True)
        return
    audiences = [Audience.objects.get_or_create(name=name)[0] for name in AUDIENCES]
    templates = [BadgeTemplate.objects.get_or_create(
        credly_id=f"bench-template-{n}",
        defaults={"name": f"Bench certification {n}", "audience": audiences[n % 3]})[0]
        for n in range(12)]
    rng = random.Random(existing)
    end = datetime.now(UTC)
    span = timedelta(days=MONTHS * 30.4).total_seconds()
    missing, done, started = target - existing, 0, time.perf_counter()
    while done < missing:
        batch = []
        for _ in range(min(10_000, missing - done)):
            issued = end - timedelta(seconds=rng.random() * span)
            revoked = rng.random() < 0.03
            batch.append(Badge(
                template=rng.choice(templates), recipient_email=f"earner{rng.randrange(10**9)}@example.com",
                recipient_first_name="Bench", recipient_last_name="Earner", issued_at=issued,
                state=Badge.State.REVOKED if revoked else Badge.State.ACCEPTED,
                revoked_at=issued + timedelta(days=3) if revoked else None,
                issuer_earner_id=None, lane=""))
        created = Badge.objects.bulk_create(batch)
        # One in a hundred was replaced (a new address): the replacement links to it.
        replacements = [Badge(template=old.template, recipient_email="new-" + old.recipient_email,
                              recipient_first_name="Bench", recipient_last_name="Earner",
                              issued_at=old.issued_at, state=Badge.State.ACCEPTED, replaces=old,
                              issuer_earner_id=None, lane="")
                        for old in created[:: 100]]
        Badge.objects.bulk_create(replacements)
        done += len(batch) + len(replacements)
        rate = done / (time.perf_counter() - started)
        print(f"\rseeding badges {done:,}/{missing:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    _analyze("badges_badge")


def seed_threads(target: int) -> None:
    from inbox.models import Category, Mailbox, Thread

    existing = Thread.objects.count()
    if existing >= target or target <= 0:
        print(f"database has {existing:,} threads already", flush=True)
        return
    mailbox = Mailbox.objects.get_or_create(address="levelup-bench@example.com")[0]
    categories = list(Category.objects.all()) or [None]
    rng = random.Random(existing)
    end = datetime.now(UTC)
    span = timedelta(days=MONTHS * 30.4).total_seconds()
    missing, done = target - existing, 0
    while done < missing:
        batch = []
        for n in range(min(10_000, missing - done)):
            asked = end - timedelta(seconds=rng.random() * span)
            answered = rng.random() < 0.9
            batch.append(Thread(
                mailbox=mailbox, gmail_thread_id=f"bench{existing + done + n:012x}",
                subject="Bench question", category=rng.choice(categories),
                status=Thread.Status.DONE if answered else Thread.Status.OPEN,
                created_at=asked, last_message_at=asked, asked_at=asked,
                first_response_due_at=asked + timedelta(hours=rng.choice((8, 24, 56))),
                responded_at=asked + timedelta(minutes=rng.randrange(5, 4000)) if answered else None))
        Thread.objects.bulk_create(batch)
        done += len(batch)
        print(f"\rseeding threads {done:,}/{missing:,}", end="", flush=True)
    print()
    _analyze("inbox_thread")


def bench_manager():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username="bench-maria")
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    return user


def measure(client: Client, url: str, repeat: int) -> dict:
    started = time.perf_counter()
    response = client.get(url)  # the first builds what the report keeps current (once)
    first = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    executed = []
    with connection.execute_wrapper(lambda run, sql, *a: executed.append(sql) or run(sql, *a)):
        client.get(url)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {"first": first, "median": statistics.median(timings),
            "p95": timings[max(0, int(len(timings) * 0.95) - 1)], "queries": len(executed)}


def cases() -> dict[str, str]:
    from django.urls import NoReverseMatch, reverse

    found = {
        "certifications_12m": "/reports/certifications/",
        "certifications_12m_csv": "/reports/certifications.csv",
        "certifications_36m": f"/reports/certifications/?from={_months_ago(35)}",
        "certifications_36m_csv": f"/reports/certifications.csv?from={_months_ago(35)}",
        "certifications_api": "/api/v1/reports/certifications/",
    }
    for name in ("inbox", "tickets"):  # the other reports, where built
        try:
            found[f"{name}_report"] = reverse(f"reports:{name}")
            found[f"{name}_report_csv"] = reverse(f"reports:{name}-csv")
        except NoReverseMatch:
            pass
    return found


def _months_ago(count: int) -> str:
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--badges", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    seed_badges(args.badges)
    seed_threads(args.threads)
    client = Client()
    client.force_login(bench_manager())
    badges, threads = Badge.objects.count(), __import__("inbox.models").models.Thread.objects.count()
    print(f"{connection.vendor}, {badges:,} badges, {threads:,} threads, "
          f"{args.repeat} requests per case")
    print(f"{'case':<26} {'first ms':>10} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    figures = {"db": connection.vendor, "badges": badges, "threads": threads}
    for name, url in cases().items():
        result = measure(client, url, args.repeat)
        print(f"{name:<26} {result['first']:>10.1f} {result['median']:>10.1f} {result['p95']:>10.1f} "
              f"{result['queries']:>8}")
        figures[f"{name}_p95_ms"] = round(result["p95"], 1)
        figures[f"{name}_queries"] = result["queries"]
        figures[f"{name}_first_ms"] = round(result["first"])
    print_figures(figures)


if __name__ == "__main__":
    main()
