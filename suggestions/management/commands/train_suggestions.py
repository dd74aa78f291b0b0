"""Train a new suggestion model from the desk's history now (beat does it on a schedule)."""

from django.core.management.base import BaseCommand

from suggestions import services


class Command(BaseCommand):
    help = "Train and store a new version of the suggestion model from the desk's history."

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true",
                            help="then recompute suggestions for the open tickets and threads "
                                 "most recently worked")

    def handle(self, *args, refresh: bool, **options):
        row = services.train_model()
        metrics = row.metrics
        if metrics.get("note"):
            self.stderr.write(metrics["note"])
        self.stdout.write(f"Model v{row.version}: {metrics['backend']}, {metrics['docs']} "
                          f"tickets and threads read in "
                          f"{metrics['read_seconds']} s, fitted in {metrics['fit_seconds']} s "
                          f"({row.seconds} s in all, {metrics['artifact_bytes'] / 1e6:.1f} MB).")
        for kind, count in metrics["examples"].items():
            state = "learned" if kind in metrics["learned"] else "rules (too little history)"
            self.stdout.write(f"  {kind:<9} {count:>7} examples: {state}")
        if refresh:
            self.stdout.write(f"Recomputed {services.refresh_open()} suggestions.")
