"""Write daily AR snapshots for past days, so trends exist from day one."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.snapshots import snapshots_backfill


class Command(BaseCommand):
    help = "Back-fill daily AR snapshots (default: the last 25 months up to yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--start", type=datetime.date.fromisoformat)
        parser.add_argument("--end", type=datetime.date.fromisoformat)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="only the days that have no snapshot yet (make run uses this)",
        )

    def handle(self, *args, start=None, end=None, if_missing=False, **options):
        end = end or timezone.localdate() - datetime.timedelta(days=1)
        start = start or end - datetime.timedelta(days=761)
        if start > end:
            raise CommandError("--start is after --end")
        written = snapshots_backfill(start=start, end=end, only_missing=if_missing)
        self.stdout.write(f"{written} snapshots written, {start} to {end}")
