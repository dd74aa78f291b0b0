"""Suggestions at scale: training time on N tickets of history, the worker's time per ticket,
and the ticket page's time with its suggestions panel.

    nice -n 10 python bench/suggestions.py                      # 100,000 tickets, configured db
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench python bench/suggestions.py

Seeds a synthetic history (tickets with the macros and routing agents applied, a tenth as many
inbox threads with categories and responses sent) when the database has fewer tickets, then
prints the figures; the last line is key=value.
"""

import argparse
import os
import random
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

from bench.common import print_figures, rss_mb  # noqa: E402
from bench.console import bench_user, measure  # noqa: E402
from suggestions import selectors, services  # noqa: E402
from suggestions.synthetic import seed_history  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def seed(target: int, actor) -> None:
    existing = Ticket.objects.count()
    if existing >= target:
        print(f"database has {existing:,} tickets already", flush=True)
        return
    started = time.perf_counter()
    missing = target - existing
    seed_history(tickets=missing, threads=missing // 10, seed=existing + 1, actor=actor,
                 batch=10_000)
    print(f"seeded {missing:,} tickets and {missing // 10:,} threads in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    agents = bench_user()
    seed(args.tickets, agents[0])
    total = Ticket.objects.count()

    started = time.perf_counter()
    model = services.train_model()
    train_seconds = time.perf_counter() - started
    print(f"training on {model.metrics['docs']:,} tickets and threads: {train_seconds:.1f} s "
          f"(read {model.metrics['read_seconds']} s, fit {model.metrics['fit_seconds']} s, "
          f"artifact {model.metrics['artifact_bytes'] / 1e6:.1f} MB)", flush=True)

    selectors.current_model()  # loaded once per worker process, as in production
    bounds = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    sample = random.Random(1).sample(range(low, high + 1), min(400, high - low + 1))
    ids = list(Ticket.objects.filter(pk__in=sample).values_list("pk", flat=True)[:100])
    worker = []
    for pk in ids:
        t0 = time.perf_counter()
        services.suggest_for_ticket(pk)
        worker.append((time.perf_counter() - t0) * 1000)
    print(f"worker, suggestions for one ticket: median {percentile(worker, 0.5):.1f} ms, "
          f"p95 {percentile(worker, 0.95):.1f} ms", flush=True)

    client = Client()
    client.force_login(agents[0])
    page = measure(client, [f"/tickets/{pk}/" for pk in ids[:50]], args.repeat)
    print(f"ticket page with suggestions: median {page['median']:.1f} ms, p95 "
          f"{page['p95']:.1f} ms, {page['queries']} queries", flush=True)
    from django.template import Context, Template

    panel = Template("{% load suggestions %}{% ticket_suggestions ticket %}")
    tickets = list(Ticket.objects.filter(pk__in=ids[:50]))
    reads = []
    for i in range(args.repeat):
        t0 = time.perf_counter()
        panel.render(Context({"ticket": tickets[i % len(tickets)], "user": agents[0]}))
        reads.append((time.perf_counter() - t0) * 1000)
    print(f"the panel alone (one row read and rendered): p95 {percentile(reads, 0.95):.2f} ms")
    print_figures({
        "db": connection.vendor, "tickets": total, "train_s": round(train_seconds, 1),
        "worker_p95_ms": round(percentile(worker, 0.95), 1),
        "page_p95_ms": round(page["p95"], 1), "page_median_ms": round(page["median"], 1),
        "page_queries": page["queries"], "panel_p95_ms": round(percentile(reads, 0.95), 2),
        "rss_mb": round(rss_mb()),
    })


if __name__ == "__main__":
    main()
