"""Recompute every customer's stored priority score (what the nightly task does)."""

import time

from django.core.management.base import BaseCommand

from collections_app.services import promises_evaluate, queue_state_refresh


class Command(BaseCommand):
    help = "Sweep broken promises, then recompute every customer's queue score."

    def handle(self, *args, **options):
        started = time.perf_counter()
        broken = promises_evaluate()
        refresh = queue_state_refresh()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{broken} promises changed, {refresh.rows} queue rows in {elapsed:.1f} s"
        )
        if refresh.failed:
            failed = ", ".join(str(pk) for pk in refresh.failed)
            self.stdout.write(f"could not refresh customers: {failed} (see the log)")
