"""Runs the whole demo: every fake service, then web, Celery worker and beat."""

import os
import signal
import socket
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from demo.badges import FAKE_ORGANIZATION_ID
from demo.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS

FAKE_SLACK_PORT = 8091
FAKE_ZENDESK_PORT = 8092
FAKE_GMAIL_PORT = 8094
FAKE_CREDLY_PORT = 8095
DEMO_TICKETS = 300


class Command(BaseCommand):
    help = ("Start the fake Zendesk and Slack, sync the demo tickets in, then web (gunicorn), "
            "worker and beat; Ctrl-C stops them all.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--slack-port", type=int, default=FAKE_SLACK_PORT)
        parser.add_argument("--zendesk-port", type=int, default=FAKE_ZENDESK_PORT)

    def handle(self, *args, port: int, host: str, slack_port: int, zendesk_port: int,
               **options):
        # SIGTERM (from a supervisor or `kill`) stops the children too, like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        env = dict(os.environ)
        env.setdefault("SLACK_API_URL", f"http://127.0.0.1:{slack_port}")
        env.setdefault("SLACK_BOT_TOKEN", "xoxb-demo")
        env.setdefault("ZENDESK_URL", f"http://127.0.0.1:{zendesk_port}")
        env.setdefault("ZENDESK_EMAIL", "api@edudesk.example")
        env.setdefault("ZENDESK_API_TOKEN", "demo")
        env.setdefault("ZENDESK_WEBHOOK_SECRET", "demo-secret")
        env.setdefault("GMAIL_API_URL", f"http://127.0.0.1:{FAKE_GMAIL_PORT}")
        env.setdefault("GMAIL_MAILBOX", "desk@edudesk.example")
        env.setdefault("GMAIL_GROUP_ADDRESS", "levelup@edudesk.example")
        env.setdefault("GMAIL_OAUTH_TOKEN", "ya29.demo")
        # The fake Credly's organization and templates are the ones demo/badges.py seeds.
        env.setdefault("CREDLY_API_URL", f"http://127.0.0.1:{FAKE_CREDLY_PORT}")
        env.setdefault("CREDLY_ORGANIZATION_ID", str(FAKE_ORGANIZATION_ID))
        env.setdefault("CREDLY_API_TOKEN", "demo-credly-token")
        python = sys.executable
        fakes = {
            "slack": [python, "-m", "integrations.slack.fake", "--port", str(slack_port)],
            "zendesk": [python, "-m", "integrations.zendesk.fake", "--port",
                        str(zendesk_port), "--tickets", str(DEMO_TICKETS)],
            "gmail": [python, "-m", "integrations.gmail.fake", "--port", str(FAKE_GMAIL_PORT)],
            "credly": [python, "-m", "integrations.credly.fake", "--port", str(FAKE_CREDLY_PORT)],
        }
        commands = {
            "worker": [python, "-m", "celery", "-A", "edudesk", "worker", "--loglevel", "INFO",
                       "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "edudesk", "beat", "--loglevel", "INFO"],
            "web": [python, "-m", "gunicorn", "edudesk.wsgi", "--bind", f"{host}:{port}",
                    "--workers", "2", "--threads", "4", "--access-logfile", "-",
                    # Its default control socket is one path per user: two demos would clash.
                    "--no-control-socket"],
        }
        # Fixed argument lists built above, no shell: nothing untrusted reaches them.
        processes = {name: subprocess.Popen(cmd, env=env)  # noqa: S603
                     for name, cmd in fakes.items()}
        try:
            self._wait_for_port(zendesk_port)
            # The demo's tickets come from (fake) Zendesk, which starts afresh each time: a full
            # sync lines local tickets up with it. Beat's first sync is a minute away.
            subprocess.run([python, "manage.py", "zendesk_sync", "--full"], env=env,  # noqa: S603
                           check=True)
            # The LevelUp group's mail, likewise from a fake that starts afresh.
            self._wait_for_port(FAKE_GMAIL_PORT)
            subprocess.run([python, "manage.py", "gmail_sync", "--full"], env=env,  # noqa: S603
                           check=True)
        except (OSError, subprocess.CalledProcessError, KeyboardInterrupt, SystemExit):
            self._stop(processes)
            raise
        processes.update({name: subprocess.Popen(cmd, env=env)  # noqa: S603
                          for name, cmd in commands.items()})
        self.stdout.write(self.style.SUCCESS(f"\nEduDesk is running at http://{host}:{port}/"))
        self.stdout.write(f"Sign in with one of these (password {DEMO_PASSWORD}):")
        for username, _first, _last, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {username}")
        self.stdout.write("Ctrl-C stops everything.\n")
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            dead = [n for n, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; shutting the rest down.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self._stop(processes)

    @staticmethod
    def _wait_for_port(port: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.2)
        raise OSError(f"nothing answers on port {port}")

    @staticmethod
    def _stop(processes: dict) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
