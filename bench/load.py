"""Load and correctness: C API clients act on Zendesk tickets for S seconds, then the drain.

    python bench/load.py                                   # embedded default, 20 clients, 60 s
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/13 python bench/load.py --clients 20 --seconds 60

Starts the whole stack as separate processes on loopback, as `make run` does: the fake
Zendesk, gunicorn, a Celery worker and beat. The clients sign in with API tokens and write
internal notes (each with a unique marker) and status changes through /api/v1/ as fast as
the server answers. Afterwards it waits for the outbox to drain, then reads every ticket's
comments back from the fake: a marker missing is a lost action, twice a doubled one.
Prints request rate and latency, the drain time, conflicts, lost and doubled; the last
line is key=value.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EDUDESK_VAR_DIR", str(ROOT / "var" / "bench-load"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
from bench.common import print_figures  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"nothing answers at {url}")


class Client(threading.Thread):
    def __init__(self, n: int, base: str, token: str, tickets: list[int], until: float) -> None:
        super().__init__(daemon=True)
        self.n, self.base, self.tickets, self.until = n, base, tickets, until
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.rng = random.Random(n)
        self.markers: list[str] = []
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()

    def run(self) -> None:
        count = 0
        while time.monotonic() < self.until:
            ticket = self.rng.choice(self.tickets)
            if count % 4 == 3:
                path, body = "status", {"status": self.rng.choice(["open", "pending", "hold"])}
            else:
                marker = f"c{self.n:02d}-{count:06d}"
                path, body = "reply", {"body": f"load marker {marker}", "public": False}
            started = time.perf_counter()
            try:
                answer = self.session.post(f"{self.base}/api/v1/tickets/{ticket}/{path}/",
                                           json=body, timeout=30)
                self.statuses[answer.status_code] += 1
                if path == "reply" and answer.status_code == 201:
                    self.markers.append(marker)
            except requests.RequestException as exc:
                self.statuses[type(exc).__name__] += 1
            self.latencies.append(time.perf_counter() - started)
            count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="Zendesk requests per minute (0 = off, to measure EduDesk)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from accounts.tokens import issue_token
    from integrations.models import OutboxMessage
    from integrations.zendesk.client import ZendeskClient
    from tickets.models import Ticket

    call_command("migrate", verbosity=0)
    # A clean slate each run; flush also empties what the data migrations seeded, so seed
    # that again (roles, teams, regions, views, macros, routing rules).
    call_command("flush", interactive=False, verbosity=0)
    from importlib import import_module

    from django.apps import apps

    import_module("people.migrations.0002_roles_teams_regions").create(apps, None)
    import_module("tickets.migrations.0002_configuration").configure(apps, None)
    call_command("seed_demo", tickets=0, verbosity=0)
    python, web_port = sys.executable, free_port()
    procs: dict[str, subprocess.Popen] = {}

    def start(name: str, argv: list[str], env: dict, **kwargs) -> subprocess.Popen:
        procs[name] = subprocess.Popen(argv, cwd=ROOT, env=env, **kwargs)  # noqa: S603
        return procs[name]

    try:
        fake = start("fake", [python, "-m", "integrations.zendesk.fake", "--tickets",
                              str(args.tickets), "--comments-per-ticket", "0", "--rate-limit",
                              str(args.rate_limit), "--incremental-rate-limit", "0"],
                     dict(os.environ), stdout=subprocess.PIPE, text=True)
        zendesk = fake.stdout.readline().strip()
        env = {**os.environ, "ZENDESK_URL": zendesk, "ZENDESK_EMAIL": "api@edudesk.example",
               "ZENDESK_API_TOKEN": "load", "ZENDESK_WEBHOOK_SECRET": "load-secret",
               "ZENDESK_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
               "ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE": "0",
               # The bench measures the stack at full tilt, not the per-person API rate.
               "API_THROTTLE_USER": "1000000/minute"}
        subprocess.run([python, "manage.py", "zendesk_sync", "--full", "-v", "0"],  # noqa: S603
                       cwd=ROOT, env=env, check=True)
        start("web", [python, "-m", "gunicorn", "edudesk.wsgi", "--bind",
                      f"127.0.0.1:{web_port}", "--workers", "2", "--threads", "8",
                      "--no-control-socket"], env)
        start("worker", [python, "-m", "celery", "-A", "edudesk", "worker", "--concurrency",
                         "2", "--loglevel", "WARNING"], env)
        start("beat", [python, "-m", "celery", "-A", "edudesk", "beat", "--loglevel",
                       "WARNING"], env)
        base = f"http://127.0.0.1:{web_port}"
        wait_for(f"{base}/healthz")
        users = ["ada", "grace", "maria", "admin"]
        tokens = [issue_token(user=(person := get_user_model().objects.get(username=u)),
                              actor=person, name="bench/load.py").key for u in users]
        tickets = list(Ticket.objects.exclude(status__in=["solved", "closed"]).values_list(
            "pk", flat=True))
        until = time.monotonic() + args.seconds
        clients = [Client(n, base, tokens[n % len(tokens)], tickets, until)
                   for n in range(args.clients)]
        started = time.perf_counter()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        load_seconds = time.perf_counter() - started
        requests_made = sum(len(c.latencies) for c in clients)
        print(f"{requests_made:,} requests in {load_seconds:.0f} s "
              f"({requests_made / load_seconds:.1f}/s); draining ...", flush=True)
        drain_started = time.perf_counter()
        while OutboxMessage.objects.filter(state="queued").exists():
            if time.perf_counter() - drain_started > 1800:
                raise SystemExit("outbox did not drain in 30 minutes")
            time.sleep(0.2)
        drain_seconds = time.perf_counter() - drain_started
        last_sent = OutboxMessage.objects.order_by("-sent_at").values_list(
            "sent_at", flat=True).first()
        client_api = ZendeskClient(zendesk, email="api@edudesk.example", api_token="load")
        seen: Counter = Counter()
        for zendesk_id in Ticket.objects.values_list("zendesk_id", flat=True):
            for comment in client_api.list_comments(zendesk_id):
                text = comment.get("html_body") or comment.get("body") or ""
                if "load marker " in text:
                    seen[text.split("load marker ")[1][:10]] += 1
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    markers = {m for c in clients for m in c.markers}
    latencies = sorted(x for c in clients for x in c.latencies)
    statuses: Counter = Counter()
    for client in clients:
        statuses.update(client.statuses)
    states = Counter(OutboxMessage.objects.values_list("state", flat=True))
    figures = {
        "db": connection.vendor, "broker": settings.CELERY_BROKER_URL.split(":")[0],
        "clients": args.clients, "seconds": round(load_seconds), "requests": requests_made,
        "requests_per_s": round(requests_made / load_seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000),
        "non_2xx": sum(v for k, v in statuses.items() if not str(k).startswith("2")),
        "outbox_rows": sum(states.values()), "sent": states["sent"],
        "conflicts": states["conflict"], "failed": states["failed"],
        "drain_after_load_s": round(drain_seconds, 1),
        "lost": len(markers - set(seen)), "duplicates": sum(n - 1 for n in seen.values()),
        "rate_limit_per_minute": args.rate_limit,
    }
    print(f"statuses {dict(statuses)}; outbox {dict(states)}; last delivery {last_sent}")
    print(f"{figures['requests_per_s']} requests/s (p95 {figures['p95_ms']} ms); drained "
          f"{figures['drain_after_load_s']} s after the load; {figures['conflicts']} conflicts, "
          f"{figures['lost']} lost, {figures['duplicates']} doubled")
    print_figures(figures)


if __name__ == "__main__":
    main()
