"""Fill an empty Dunwell with a believable demo: ~200 customers, 5,000 invoices, cash, logins.

Safe to run again: when the demo customers are already there it writes nothing and says
so. Everything goes through the services (see demo/seed.py).
"""

from django.core.management.base import BaseCommand, CommandError

from demo import DEMO_PASSWORD
from demo.logins import DEMO_USERS
from demo.seed import DemoLedgerError, seed_demo


class Command(BaseCommand):
    help = "Create the demo customers, ledger and one login per role (idempotent)."

    def handle(self, *args, **options):
        try:
            result = seed_demo()
        except DemoLedgerError as error:
            raise CommandError(str(error)) from error
        if result.users_created:
            self.stdout.write(f"Created demo users: {', '.join(result.users_created)}")
        if result.already_seeded:
            self.stdout.write(
                self.style.WARNING("Demo data is already present; nothing else to do.")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created in {result.seconds:.1f} s; ledger reconciles."
                )
            )
            width = max(len(label) for label in result.counts)
            for label, count in result.counts.items():
                self.stdout.write(f"  {label:<{width}}  {count:>6,}")
        self.stdout.write("")
        self.stdout.write("Demo logins (every one uses the same password):")
        self.stdout.write(f"  {'username':<16}{'role':<16}password")
        kept = set() if result.already_seeded else {u.username for u in DEMO_USERS}
        kept -= set(result.users_created)
        for user in DEMO_USERS:
            note = "  (user existed before: left as it was)" if user.username in kept else ""
            self.stdout.write(f"  {user.username:<16}{user.role:<16}{DEMO_PASSWORD}{note}")
