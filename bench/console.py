"""Console speed at scale: seeds N tickets, then times the pages agents live in.

    python bench/console.py                       # 100,000 tickets, configured database
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/console.py --tickets 1000000

Prints median and p95 server time and SQL queries per request for the Triage list's
first page, a page 500 pages deep, the ticket page and the API list; the last line is
key=value figures. Requests go through Django's full stack in-process (middleware,
auth, templates), without a network hop.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import print_figures  # noqa: E402
from demo.tickets import ticket_batches  # noqa: E402
from people import roles  # noqa: E402
from people.pagination import encode_cursor  # noqa: E402
from tickets.models import Ticket, View  # noqa: E402


def seed(target: int, agents) -> None:
    existing = Ticket.objects.count()
    if existing >= target:
        print(f"database has {existing:,} tickets already", flush=True)
        return
    missing = target - existing
    started = time.perf_counter()
    done = 0
    for batch in ticket_batches(missing, agents=agents, seed=existing + 1, batch_size=10_000):
        Ticket.objects.bulk_create(batch)
        done += len(batch)
        rate = done / (time.perf_counter() - started)
        print(f"\rseeding {done:,}/{missing:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tickets_ticket")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def bench_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from people.models import AgentProfile, Team

    users = []
    for name in ("bench-ada", "bench-grace", "bench-lin"):
        user, _ = get_user_model().objects.get_or_create(username=name, defaults={
            "first_name": name.split("-")[1].title()})
        user.groups.add(Group.objects.get(name=roles.AGENT))
        AgentProfile.objects.get_or_create(
            user=user, defaults={"team": Team.objects.get(slug="education-services")})
        users.append(user)
    return users


def deep_cursor(view: View, user, depth_rows: int) -> str | None:
    """The cursor an agent would hold after paging `depth_rows` rows into the view."""
    from tickets.selectors import tickets_in_view

    field = view.sort.lstrip("-")
    order = [view.sort, "-id" if view.sort.startswith("-") else "id"]
    row = tickets_in_view(view, user).order_by(*order).values(field, "id")[depth_rows - 1:depth_rows]
    row = list(row)
    return encode_cursor(row[0][field], row[0]["id"], False) if row else None


def measure(client: Client, urls: list[str], repeat: int) -> dict:
    executed = []
    # execute_wrapper sees every statement, whether or not the debug cursor is on.
    with connection.execute_wrapper(lambda run, sql, *a: executed.append(sql) or run(sql, *a)):
        response = client.get(urls[0])
    assert response.status_code == 200, (urls[0], response.status_code)
    for url in urls[:3]:  # warm caches the way a working server has them
        client.get(url)
    timings = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
        "queries": len(executed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    agents = bench_user()
    seed(args.tickets, agents)
    user = agents[0]
    client = Client()
    client.force_login(user)
    triage = View.objects.get(slug="triage")
    page_size = 25
    cursor = deep_cursor(triage, user, 500 * page_size)
    bounds = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    candidates = random.Random(1).sample(range(low, high + 1), min(200, high - low + 1))
    ids = list(Ticket.objects.filter(pk__in=candidates).values_list("pk", flat=True)[:50])
    cases = {
        "triage_first_page": ["/views/triage/"],
        "triage_page_500": [f"/views/triage/?cursor={cursor}"] if cursor else None,
        "ticket_page": [f"/tickets/{pk}/?view=triage" for pk in ids],
        # The requester's certifications panel, which the ticket page fetches once it arrived.
        "earner_panel": [f"/badges/earner/panel/?email={email}&next=/tickets/{pk}/"
                         for pk, email in Ticket.objects.filter(pk__in=ids).values_list(
                             "pk", "requester_email")],
        "api_list": ["/api/v1/views/triage/tickets/"],
        # A term few tickets contain: the worst case for search, which cannot stop early.
        "search_rare": [f"/views/triage/?q=rare-term-{n}" for n in range(10)],
        # The same across every ticket the agent may see (the topbar's search page).
        "search_all_rare": [f"/search/?q=rare-term-{n}" for n in range(10)],
    }
    total = Ticket.objects.count()
    print(f"{connection.vendor}, {total:,} tickets, {args.repeat} requests per case")
    print(f"{'case':<20} {'median ms':>10} {'p95 ms':>10} {'queries':>8}")
    figures = {"db": connection.vendor, "tickets": total}
    for name, urls in cases.items():
        if urls is None:
            print(f"{name:<20} (view has fewer than 500 pages)")
            continue
        result = measure(client, urls, args.repeat)
        print(f"{name:<20} {result['median']:>10.1f} {result['p95']:>10.1f} {result['queries']:>8}")
        figures[f"{name}_p95_ms"] = round(result["p95"], 1)
        figures[f"{name}_median_ms"] = round(result["median"], 1)
        figures[f"{name}_queries"] = result["queries"]
    # Counts are cached for 15 s; what one recount costs when the cache is cold:
    from django.core.cache import cache

    from tickets.selectors import view_counts, views_for
    started = time.perf_counter()
    cache.clear()
    view_counts(views_for(user), user)
    figures["view_counts_cold_ms"] = round((time.perf_counter() - started) * 1000, 1)
    print(f"view counts, cold cache: {figures['view_counts_cold_ms']} ms (cached 15 s after)")
    print_figures(figures)


if __name__ == "__main__":
    main()
