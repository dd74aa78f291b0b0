"""Run the Gmail sync in the foreground."""

from django.core.management.base import BaseCommand, CommandError

from integrations.errors import UpstreamError
from integrations.gmail import conf, sync


class Command(BaseCommand):
    help = ("Bring the group's new mail in since the saved history id; --full lists it all "
            "again (only what is missing is fetched).")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="list every message again")
        parser.add_argument("--force", action="store_true",
                            help="take over from a run that holds the lease (e.g. one that died)")

    def handle(self, *args, full: bool, force: bool, **options):
        if not conf.is_configured():
            raise CommandError("Gmail is not configured: set " + ", ".join(conf.NAMES))
        try:
            result = sync.run_sync(full=full, force=force)
        except UpstreamError as exc:
            raise CommandError(f"Gmail sync failed: {exc}; the next run resumes from the "
                               "last saved page.") from exc
        if not result.ran:
            raise CommandError("Another sync is running (see the connection page); "
                               "use --force to take over if it died.")
        summary = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Gmail sync done: {summary}"))
