"""Badges at speed: validate a bulk CSV, issue it against the fake Credly, and take signed
certification results under load.

    nice -n 10 python bench/badges.py                      # embedded default (SQLite)
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench_badges \\
    REDIS_URL=redis://127.0.0.1:6379/12 nice -n 10 python bench/badges.py

1. Validation: a 10,000-row CSV through badges.bulk.validate (rows/s; median of 3).
2. Issue: the same rows queued by the bulk service, then delivered to the fake Credly (its
   own process, rate limit off) by --threads in-process workers draining the outbox as the
   Celery worker does; badges/s, and the ratio to the fake's own ceiling: a fresh fake fed
   the same number of issues directly by CredlyClient from as many threads.
3. Webhook: gunicorn on loopback, --concurrency clients each posting signed passing results
   to /hooks/certifications/ (every one stores a submission, issues a badge and writes its
   outbox row); requests/s and p50/p95 latency.
The last line is key=value figures.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EDUDESK_VAR_DIR", str(ROOT / "var" / "bench-badges"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edudesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
from bench.common import print_figures, start_fake  # noqa: E402
from bench.load import free_port, wait_for  # noqa: E402

TOKEN = "bench-token"


def fresh_database() -> None:
    from importlib import import_module

    from django.apps import apps
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    import_module("people.migrations.0002_roles_teams_regions").create(apps, None)


def bench_csv(rows: int, template_names: list[str]) -> str:
    lines = ["email,template,first_name,last_name,issued_at,expires_at"]
    lines += [f"earner{i}@bench.example,{template_names[i % len(template_names)]},Earner,"
              f"Number {i},2026-01-{1 + i % 28:02d},{'2029-01-01' if i % 3 == 0 else ''}"
              for i in range(rows)]
    return "\n".join(lines) + "\n"


def timed_validation(text: str) -> tuple[float, object]:
    from badges import bulk

    runs, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = bulk.validate(text)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def drain_with_threads(threads: int) -> float:
    """Deliver every queued Credly row as `threads` workers would; seconds taken."""
    from django.db import connection

    from integrations import outbox

    lanes = [lane for lane in outbox.lanes_to_sweep(limit=10**9) if lane[0] == "credly"]
    lock = threading.Lock()

    def work() -> None:
        try:
            while True:
                with lock:
                    if not lanes:
                        return
                    lane = lanes.pop()
                outbox.drain(*lane)
        finally:
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started


def fake_ceiling(rows: int, threads: int, template_ids: list[str]) -> float:
    """Issues per second a fresh fake Credly takes straight from CredlyClient."""
    from integrations.credly.client import CredlyClient

    proc, url = start_fake("credly", "--token", TOKEN)
    organization = proc.stdout.readline().split()[1]
    counter = iter(range(rows))
    lock = threading.Lock()

    def work() -> None:
        with CredlyClient(url, organization, TOKEN) as client:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                client.issue_badge(template_ids[n % len(template_ids)], f"c{n}@bench.example",
                                   "Earner", "Ceiling", datetime.now(UTC), f"ceiling-{n}")

    try:
        started = time.perf_counter()
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return rows / (time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def webhook_load(base: str, secret: str, code: str, clients: int, per_client: int,
                 prefix: str = "bench") -> tuple[list[float], int]:
    from standardwebhooks import Webhook

    signer = Webhook(secret)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    go = threading.Event()

    def client(n: int) -> None:
        session = requests.Session()
        mine = []
        go.wait()
        for k in range(per_client):
            now = datetime.now(UTC)
            body = json.dumps({"type": "certification.submitted", "data": {
                "submission_id": f"{prefix}-{n}-{k}", "certification": code,
                "earner": {"email": f"{prefix}{n}-{k}@bench.example", "first_name": "Web",
                           "last_name": "Hook"},
                "score": 95, "submitted_at": now.isoformat()}})
            msg_id = f"msg_{uuid.uuid4().hex}"
            headers = {"content-type": "application/json", "webhook-id": msg_id,
                       "webhook-timestamp": str(int(now.timestamp())),
                       "webhook-signature": signer.sign(msg_id, now, body)}
            started = time.perf_counter()
            try:
                answer = session.post(f"{base}/hooks/certifications/", data=body,
                                      headers=headers, timeout=60)
                ok = answer.status_code < 300
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    return latencies, failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4, help="delivery workers")
    parser.add_argument("--concurrency", type=int, default=200, help="webhook clients")
    parser.add_argument("--per-client", type=int, default=5, help="results each client posts")
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from badges import services
    from badges.models import Badge, BadgeTemplate, Certification, ResultSender
    from integrations.credly.fake.data import SEED_TEMPLATES
    from integrations.models import OutboxMessage

    fresh_database()
    fake, credly = start_fake("credly", "--token", TOKEN)
    organization = fake.stdout.readline().split()[1]
    # The fake announces its seeded templates after its URL and organization.
    templates = [fake.stdout.readline().strip().split(maxsplit=3)[1:] for _ in SEED_TEMPLATES]
    settings.CREDLY_API_URL, settings.CREDLY_ORGANIZATION_ID = credly, organization
    settings.CREDLY_API_TOKEN = TOKEN
    active = []
    for credly_id, state, name in templates:
        BadgeTemplate.objects.create(credly_id=credly_id, name=name, state=state)
        if state == "active":
            active.append((credly_id, name))
    procs = {"fake": fake}
    try:
        # 1. Validation.
        text = bench_csv(args.rows, [name for _, name in active])
        seconds, result = timed_validation(text)
        assert result.is_valid, result.errors[:3]
        validate_rate = args.rows / seconds
        print(f"validated {args.rows:,} rows in {seconds * 1000:.0f} ms "
              f"({validate_rate:,.0f} rows/s)", flush=True)

        # 2. Issue: queue (the bulk task's work), then deliver to the fake.
        upload = services.create_bulk_issue(rows=result.rows, filename="bench.csv",
                                            file_sha256="bench")
        services.start_bulk_issue(bulk_id=upload.pk)
        started = time.perf_counter()
        services.run_bulk_issue(bulk_id=upload.pk)
        queue_seconds = time.perf_counter() - started
        deliver_seconds = drain_with_threads(args.threads)
        issued = Badge.objects.filter(credly_id__isnull=False).count()
        failed = OutboxMessage.objects.filter(state="failed").count()
        deliver_rate = issued / deliver_seconds
        overall = issued / (queue_seconds + deliver_seconds)
        print(f"queued {args.rows:,} in {queue_seconds:.1f} s ({args.rows / queue_seconds:,.0f}/s); "
              f"delivered {issued:,} in {deliver_seconds:.1f} s ({deliver_rate:,.0f} badges/s), "
              f"{failed} failed", flush=True)
        ceiling = fake_ceiling(args.rows, args.threads, [i for i, _ in active])
        print(f"the fake alone: {ceiling:,.0f} issues/s from {args.threads} threads", flush=True)

        # 3. The certification webhook under concurrent signed deliveries.
        sender = ResultSender.objects.create(name="Bench form")
        certification = Certification.objects.create(
            code="bench-cert", name="Bench certification", passing_score=80,
            badge_template=BadgeTemplate.objects.get(credly_id=active[0][0]))
        connection.close()
        web_port = free_port()
        env = {**os.environ, "CREDLY_API_URL": credly, "CREDLY_ORGANIZATION_ID": organization,
               "CREDLY_API_TOKEN": TOKEN}
        import subprocess

        procs["web"] = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "gunicorn", "edudesk.wsgi", "--bind",
             f"127.0.0.1:{web_port}", "--workers", str(args.web_workers), "--threads", "8",
             "--backlog", "2048", "--no-control-socket"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{web_port}"
        wait_for(f"{base}/healthz")
        # Warm every worker thread's connection and Django's lazy setup (URLs, templates).
        webhook_load(base, sender.secret_list[0], certification.code, 4 * args.web_workers, 2,
                     prefix="warm")
        warm = certification.submissions.count()
        started = time.perf_counter()
        latencies, errors = webhook_load(base, sender.secret_list[0], certification.code,
                                         args.concurrency, args.per_client)
        webhook_seconds = time.perf_counter() - started
        latencies.sort()
        stored = certification.submissions.count() - warm
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except Exception:  # noqa: BLE001
                proc.kill()
    sent = len(latencies)
    figures = {
        "db": connection.vendor, "rows": args.rows,
        "validate_rows_per_s": round(validate_rate),
        "queue_rows_per_s": round(args.rows / queue_seconds),
        "deliver_badges_per_s": round(deliver_rate, 1),
        "issue_badges_per_s": round(overall, 1),
        "fake_ceiling_per_s": round(ceiling, 1),
        "ratio_to_fake": round(deliver_rate / ceiling, 2),
        "issued": issued, "delivery_failed": failed, "delivery_threads": args.threads,
        "webhook_clients": args.concurrency, "webhook_requests": sent,
        "webhook_requests_per_s": round(sent / webhook_seconds, 1),
        "webhook_p50_ms": round(statistics.median(latencies) * 1000),
        "webhook_p95_ms": round(latencies[int(sent * 0.95) - 1] * 1000),
        "webhook_errors": errors, "webhook_stored": stored,
    }
    print(f"webhook: {sent} signed results from {args.concurrency} clients in "
          f"{webhook_seconds:.1f} s ({figures['webhook_requests_per_s']}/s), p95 "
          f"{figures['webhook_p95_ms']} ms, {errors} errors, {stored} stored")
    print_figures(figures)


if __name__ == "__main__":
    main()
