"""python manage.py freeze_report_month [YYYY-MM]: keep a closed month's certification figures."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports import months, services


class Command(BaseCommand):
    help = ("Freeze a closed month's certification figures as a snapshot (the last closed "
            "month by default). A month frozen already is left as it was.")

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?", help="YYYY-MM, in the team's time zone")

    def handle(self, *args, month=None, **options):
        try:
            chosen = months.parse_month(month) if month else services.last_closed_month()
            _, created = services.freeze_month(chosen)
        except (ValueError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(f"{chosen:%Y-%m}: {'frozen' if created else 'already frozen, unchanged'}")
