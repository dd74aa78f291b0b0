"""Badges at speed: validate a bulk CSV, issue it against the fake Credly, and take signed
certification results under load.

    nice -n 10 python bench/badges.py                      # embedded default (SQLite)
    DATABASE_URL=postgres://postgres@127.0.0.1/edudesk_bench_badges \\
    REDIS_URL=redis://127.0.0.1:6379/12 nice -n 10 python bench/badges.py

1. Validation: a 10,000-row CSV through badges.bulk.validate (rows/s; median of 3).
2. Issue: the same rows queued by the bulk service, then delivered to the fake Credly (its
   own process, rate limit off) the way production does: --processes worker processes
   (default: one per core, as Celery's prefork pool), each with --threads threads, each
   running drain_system's batches (integrations.batch) until nothing is left to claim, or
   with --lanes one lane at a time as drain_lane does. badges/s, and the ratio to the fake's
   own ceiling: a fresh fake fed the same number of issues straight from CredlyClient by the
   same processes and threads; and the CPU a badge costs the workers beside what a call
   costs that bare client. Everything shares 2 cores here, the fake's process too, so the
   ratio is bounded by the bare client's CPU over ours.
3. Webhook: gunicorn on loopback, --concurrency clients each posting signed passing results
   to /hooks/certifications/ (every one stores a submission, issues a badge and writes its
   outbox row); requests/s, the clients' p50/p95, and the server's own time per request from
   gunicorn's access log (%(L)s: from the request's headers parsed to the response written,
   without the wait for a free thread). Then the same at --matched-concurrency clients (as
   many as the server has threads), and with one client alone. With C clients always
   waiting on an answer, Little's law makes the mean latency C / throughput: 200 clients at
   100 requests/s wait 2 s whatever a request costs, so a p95 under 50 ms with 200 at once
   needs about 4,000 requests/s (0.5 ms of CPU per request on 2 cores, for a request that
   makes 19 queries); the server's time and the smaller runs say what one request costs, and
   the floor run (the same clients on a GET answered 405 with no query) what the server
   gives for a request that does nothing.
The last line is key=value figures.
"""

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
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


def _worker(job: str, items: list, threads: int, taken, ready, go, env: dict) -> None:
    """One worker process: take items from the shared counter and drain each lane ("drain")
    or issue straight to the fake ("ceiling") from `threads` threads."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from integrations import batch, outbox
    from integrations.credly.client import CredlyClient

    def take() -> object | None:
        with taken.get_lock():
            n = taken.value
            taken.value += 1
        return items[n] if n < len(items) else None

    def drain() -> None:
        try:
            while (lane := take()) is not None:
                outbox.drain(*lane)
        finally:
            connection.close()

    def drain_batches() -> None:
        # What the Celery task drain_system does, until nothing is left to claim.
        try:
            while batch.drain("credly", seconds=3600):
                pass
        finally:
            connection.close()

    def issue() -> None:
        with CredlyClient(env["CREDLY_API_URL"], env["CREDLY_ORGANIZATION_ID"], TOKEN) as client:
            while (item := take()) is not None:
                n, template_id = item
                client.issue_badge(template_id, f"c{n}@bench.example", "Earner", "Ceiling",
                                   datetime.now(UTC), f"ceiling-{n}")

    target = {"drain": drain, "batches": drain_batches, "ceiling": issue}[job]
    workers = [threading.Thread(target=target) for _ in range(threads)]
    ready.wait()  # everyone set up (Django, imports) before the clock starts
    go.wait()
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def in_processes(job: str, items: list, processes: int, threads: int, env: dict
                 ) -> tuple[float, float]:
    """Run `job` over `items` in `processes` fresh processes; seconds from start to done, and
    the CPU seconds the processes used from their start (set-up included, a second or so)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawn = multiprocessing.get_context("spawn")
    taken, ready, go = spawn.Value("q", 0), spawn.Barrier(processes + 1), spawn.Event()
    procs = [spawn.Process(target=_worker, args=(job, items, threads, taken, ready, go, env))
             for _ in range(processes)]
    for p in procs:
        p.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit(f"a {job} worker failed")
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def drain_in_processes(processes: int, threads: int, env: dict, *, lanes: bool
                       ) -> tuple[float, float]:
    """Deliver every queued Credly row as the Celery workers would (drain_system's batches,
    or with `lanes` one drain_lane task per lane, the path of a system without a batch
    deliverer); seconds taken."""
    from integrations import outbox

    if not lanes:
        return in_processes("batches", [], processes, threads, env)
    found = [lane for lane in outbox.lanes_to_sweep(limit=10**9) if lane[0] == "credly"]
    return in_processes("drain", found, processes, threads, env)


def fake_ceiling(rows: int, processes: int, threads: int, template_ids: list[str]
                 ) -> tuple[float, float]:
    """Issues per second a fresh fake Credly takes straight from CredlyClient, and the
    clients' CPU seconds."""
    proc, url = start_fake("credly", "--token", TOKEN)
    organization = proc.stdout.readline().split()[1]
    env = {"CREDLY_API_URL": url, "CREDLY_ORGANIZATION_ID": organization}
    try:
        items = [(n, template_ids[n % len(template_ids)]) for n in range(rows)]
        seconds, cpu = in_processes("ceiling", items, processes, threads, env)
        return rows / seconds, cpu
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def server_times(log: Path, offset: int) -> list[float]:
    """Seconds per request from gunicorn's access log (format "%(L)s"), after `offset`."""
    with log.open() as lines:
        lines.seek(offset)
        return sorted(float(line.split()[0]) for line in lines if line.strip())


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[max(0, int(len(sorted_values) * share) - 1)]


def signed_result(signer, code: str, submission_id: str) -> tuple[str, dict[str, str]]:
    now = datetime.now(UTC)
    body = json.dumps({"type": "certification.submitted", "data": {
        "submission_id": submission_id, "certification": code,
        "earner": {"email": f"{submission_id}@bench.example", "first_name": "Web",
                   "last_name": "Hook"},
        "score": 95, "submitted_at": now.isoformat()}})
    msg_id = f"msg_{uuid.uuid4().hex}"
    return body, {"content-type": "application/json", "webhook-id": msg_id,
                  "webhook-timestamp": str(int(now.timestamp())),
                  "webhook-signature": signer.sign(msg_id, now, body)}


def webhook_open_loop(base: str, secret: str, code: str, rate: float, count: int,
                      senders: int = 200) -> tuple[list[float], int]:
    """`count` results arriving `rate` a second whatever the server's pace, as independent
    graders send them, over up to `senders` connections; each latency is counted from the
    result's due time, so a result that waited for a free connection says so."""
    from standardwebhooks import Webhook

    signer = Webhook(secret)
    latencies: list[float] = []
    failures = [0]
    taken = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def sender() -> None:
        session = requests.Session()
        while True:
            with lock:
                n, taken[0] = taken[0], taken[0] + 1
            if n >= count:
                return
            due = start + n / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            body, headers = signed_result(signer, code, f"open-{rate:g}-{n}")
            try:
                ok = session.post(f"{base}/hooks/certifications/", data=body, headers=headers,
                                  timeout=60).status_code < 300
            except requests.RequestException:
                ok = False
            with lock:
                latencies.append(time.perf_counter() - due)
                failures[0] += not ok

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(latencies), failures[0]


def webhook_load(base: str, secret: str, code: str, clients: int, per_client: int,
                 prefix: str = "bench", floor: bool = False) -> tuple[list[float], int]:
    """`clients` threads posting `per_client` signed results each; latencies and failures.
    With `floor`, a GET of the same URL instead: Django's 405 through every middleware and
    no query, the least any request to this server costs."""
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
            body, headers = signed_result(signer, code, f"{prefix}-{n}-{k}")
            started = time.perf_counter()
            try:
                if floor:
                    ok = session.get(f"{base}/hooks/certifications/", timeout=60).status_code == 405
                else:
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
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="delivery worker processes (Celery prefork: one per core)")
    parser.add_argument("--threads", type=int, default=1, help="threads per delivery process")
    parser.add_argument("--lanes", action="store_true",
                        help="deliver lane by lane (drain_lane) instead of in batches")
    parser.add_argument("--skip-webhook", action="store_true", help="validation and issue only")
    parser.add_argument("--open-rates", type=float, nargs="*", default=[25.0, 50.0],
                        help="results a second for the open-loop webhook runs (10 s each)")
    parser.add_argument("--concurrency", type=int, default=200, help="webhook clients")
    parser.add_argument("--per-client", type=int, default=5, help="results each client posts")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--matched-concurrency", type=int, default=0,
                        help="clients for the second webhook run (default: the server's threads)")
    args = parser.parse_args()
    matched = args.matched_concurrency or args.web_workers * args.web_threads

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
    credly_env = {"CREDLY_API_URL": credly, "CREDLY_ORGANIZATION_ID": organization,
                  "CREDLY_API_TOKEN": TOKEN}
    active = []
    for credly_id, state, name in templates:
        BadgeTemplate.objects.create(credly_id=credly_id, name=name, state=state)
        if state == "active":
            active.append((credly_id, name))
    procs = {"fake": fake}
    runs: dict[int, dict] = {}
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
        connection.close()  # the workers have their own
        deliver_seconds, deliver_cpu = drain_in_processes(args.processes, args.threads, credly_env,
                                             lanes=args.lanes)
        issued = Badge.objects.filter(credly_id__isnull=False).count()
        failed = OutboxMessage.objects.filter(state="failed").count()
        deliver_rate = issued / deliver_seconds
        overall = issued / (queue_seconds + deliver_seconds)
        parallel = f"{args.processes} processes x {args.threads} threads"
        print(f"queued {args.rows:,} in {queue_seconds:.1f} s ({args.rows / queue_seconds:,.0f}/s); "
              f"delivered {issued:,} in {deliver_seconds:.1f} s ({deliver_rate:,.0f} badges/s) "
              f"from {parallel}, {failed} failed", flush=True)
        ceiling, ceiling_cpu = fake_ceiling(args.rows, args.processes, args.threads,
                                            [i for i, _ in active])
        print(f"the fake alone: {ceiling:,.0f} issues/s from {parallel}; CPU per badge: "
              f"EduDesk's workers {deliver_cpu / issued * 1000:.2f} ms, a bare client "
              f"{ceiling_cpu / args.rows * 1000:.2f} ms", flush=True)

        if not args.skip_webhook:
            # 3. The certification webhook under concurrent signed deliveries.
            sender = ResultSender.objects.create(name="Bench form")
            certification = Certification.objects.create(
                code="bench-cert", name="Bench certification", passing_score=80,
                badge_template=BadgeTemplate.objects.get(credly_id=active[0][0]))
            connection.close()
            web_port = free_port()
            access_log = Path(settings.VAR_DIR) / "bench-badges-access.log"
            access_log.unlink(missing_ok=True)
            procs["web"] = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "gunicorn", "edudesk.wsgi", "--bind",
                 f"127.0.0.1:{web_port}", "--workers", str(args.web_workers),
                 "--threads", str(args.web_threads), "--backlog", "2048", "--no-control-socket",
                 "--access-logfile", str(access_log), "--access-logformat", "%(L)s %(s)s"],
                cwd=ROOT, env={**os.environ, **credly_env})
            base = f"http://127.0.0.1:{web_port}"
            wait_for(f"{base}/healthz")
            # Warm every worker thread's connection and Django's lazy setup (URLs, templates).
            webhook_load(base, sender.secret_list[0], certification.code,
                         args.web_workers * args.web_threads, 2, prefix="warm")
            total = args.concurrency * args.per_client
            # Last, one client alone: what a request costs when nothing else waits.
            for clients, per_client in ((args.concurrency, args.per_client),
                                        (matched, -(-total // matched)), (1, min(total, 200))):
                time.sleep(0.5)  # the warm-up's or previous run's log lines are written
                offset = access_log.stat().st_size
                before = certification.submissions.count()
                started = time.perf_counter()
                latencies, errors = webhook_load(base, sender.secret_list[0], certification.code,
                                                 clients, per_client, prefix=f"c{clients}")
                elapsed = time.perf_counter() - started
                time.sleep(0.5)
                latencies.sort()
                runs[clients] = {"latencies": latencies, "errors": errors, "seconds": elapsed,
                                 "stored": certification.submissions.count() - before,
                                 "server": server_times(access_log, offset)}
            # Open loop: results arriving at a steady rate, the p95 a grader sees.
            open_runs = {}
            for rate in args.open_rates:
                time.sleep(0.5)
                open_runs[rate] = webhook_open_loop(base, sender.secret_list[0],
                                                    certification.code, rate, int(rate * 10))
            # The floor: the same clients on a request that does nothing.
            time.sleep(0.5)
            started = time.perf_counter()
            latencies, floor_errors = webhook_load(base, sender.secret_list[0], "", args.concurrency,
                                                   args.per_client, floor=True)
            floor_seconds = time.perf_counter() - started
            latencies.sort()
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except Exception:  # noqa: BLE001
                proc.kill()
    figures = {
        "db": connection.vendor, "rows": args.rows,
        "validate_rows_per_s": round(validate_rate),
        "queue_rows_per_s": round(args.rows / queue_seconds),
        "deliver_badges_per_s": round(deliver_rate, 1),
        "issue_badges_per_s": round(overall, 1),
        "fake_ceiling_per_s": round(ceiling, 1),
        "ratio_to_fake": round(deliver_rate / ceiling, 2),
        "deliver_cpu_ms_per_badge": round(deliver_cpu / issued * 1000, 2),
        "bare_client_cpu_ms_per_call": round(ceiling_cpu / args.rows * 1000, 2),
        "issued": issued, "delivery_failed": failed,
        "delivery_processes": args.processes, "delivery_threads": args.threads,
        "web_threads": args.web_workers * args.web_threads,
    }
    if runs:
        figures |= {
            f"floor_c{args.concurrency}_requests_per_s": round(len(latencies) / floor_seconds, 1),
            f"floor_c{args.concurrency}_p95_ms": round(percentile(latencies, 0.95) * 1000),
            f"floor_c{args.concurrency}_errors": floor_errors}
        print(f"floor (GET, 405, no query) from {args.concurrency} clients: "
              f"{len(latencies) / floor_seconds:.0f}/s, p95 "
              f"{percentile(latencies, 0.95) * 1000:.0f} ms, {floor_errors} errors")
    for rate, (latencies, errors) in (open_runs.items() if runs else ()):
        key = f"webhook_open_{rate:g}_per_s"
        figures |= {f"{key}_p50_ms": round(statistics.median(latencies) * 1000),
                    f"{key}_p95_ms": round(percentile(latencies, 0.95) * 1000),
                    f"{key}_errors": errors}
        print(f"webhook, open loop: {len(latencies)} results arriving {rate:g}/s: p50 "
              f"{figures[f'{key}_p50_ms']} ms, p95 {figures[f'{key}_p95_ms']} ms, {errors} errors")
    for clients, run in runs.items():
        sent, latencies, server = len(run["latencies"]), run["latencies"], run["server"]
        key = f"webhook_c{clients}"
        figures |= {
            f"{key}_requests": sent, f"{key}_requests_per_s": round(sent / run["seconds"], 1),
            f"{key}_p50_ms": round(statistics.median(latencies) * 1000),
            f"{key}_p95_ms": round(percentile(latencies, 0.95) * 1000),
            f"{key}_server_p50_ms": round(statistics.median(server) * 1000, 1) if server else None,
            f"{key}_server_p95_ms": round(percentile(server, 0.95) * 1000, 1) if server else None,
            f"{key}_errors": run["errors"], f"{key}_stored": run["stored"],
        }
        print(f"webhook: {sent} signed results from {clients} clients in {run['seconds']:.1f} s "
              f"({figures[f'{key}_requests_per_s']}/s); clients p50 {figures[f'{key}_p50_ms']} ms, "
              f"p95 {figures[f'{key}_p95_ms']} ms; server p50 {figures[f'{key}_server_p50_ms']} "
              f"ms, p95 {figures[f'{key}_server_p95_ms']} ms; {run['errors']} errors, "
              f"{run['stored']} stored")
    print_figures(figures)


if __name__ == "__main__":
    main()
