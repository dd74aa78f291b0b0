"""Run the Zendesk sync in the foreground, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.errors import UpstreamError
from integrations.zendesk import conf, sync


class Command(BaseCommand):
    help = ("Bring Zendesk's changes in since the saved cursor; --full reads everything again "
            "(an interrupted full sync is resumed).")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="read every ticket again")
        parser.add_argument("--force", action="store_true",
                            help="take over from a run that holds the lease (e.g. one that died)")
        parser.add_argument("--per-page", type=int, default=sync.PER_PAGE,
                            help="items per export page (Zendesk allows up to 1000)")

    def handle(self, *args, full: bool, force: bool, per_page: int, **options):
        if not conf.is_configured():
            raise CommandError("Zendesk is not configured: set ZENDESK_URL and credentials")
        bar = tqdm(unit=" tickets", disable=options["verbosity"] == 0, dynamic_ncols=True)
        seen = {"tickets": 0}

        def progress(state) -> None:
            if state.is_full_sync_running and state.full_sync_total:
                bar.total = state.full_sync_total
            tickets = state.last_run_counts.get("tickets", 0)
            bar.update(max(0, tickets - seen["tickets"]))
            seen["tickets"] = tickets
            bar.set_postfix(phase=state.phase, comments=state.last_run_counts.get("comments", 0),
                            refresh=False)

        try:
            result = sync.run_sync(full=full, force=force, progress=progress, per_page=per_page)
        except UpstreamError as exc:
            raise CommandError(f"Zendesk sync failed: {exc}; the next run resumes from the "
                               "last saved page.") from exc
        finally:
            bar.close()
        if not result.ran:
            raise CommandError("Another sync is running (see the connection page); "
                               "use --force to take over if it died.")
        summary = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Zendesk sync done: {summary}"))
