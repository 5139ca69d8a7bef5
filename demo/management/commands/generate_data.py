"""Load a large generated ledger for performance work: 50,000 customers, 2 million invoices.

A bulk loader: it bypasses the services by design and writes rows with PostgreSQL COPY
(batched bulk_create elsewhere), keeping every stored balance consistent with the
applications it writes; see demo/bulk.py for what that means.
"""

from django.core.management.base import BaseCommand, CommandError

from demo.bulk import DEFAULT_SEED, GenerateError, generate
from invoices.models import Invoice


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Bulk-load generated customers, invoices, payments and applications (GEN- prefix)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=_positive, default=50_000)
        parser.add_argument("--invoices", type=_positive, default=2_000_000)
        parser.add_argument(
            "--collectors",
            type=_positive,
            default=50,
            help="users gen_collector01.. in the Collector group, assigned round-robin",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--truncate", action="store_true", help="remove previously generated rows first"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when generated invoices are already loaded (make bench uses this)",
        )
        parser.add_argument(
            "--skip-check", action="store_true", help="do not run ledger_discrepancies() at the end"
        )

    def handle(self, *args, **options):
        def progress(message: str) -> None:
            self.stdout.write(message)
            self.stdout.flush()

        if options["if_empty"] and Invoice.objects.filter(number__startswith="GEN-").exists():
            self.stdout.write("generated data already loaded; nothing to do")
            return
        try:
            result = generate(
                customers=options["customers"],
                invoices=options["invoices"],
                collectors=options["collectors"],
                seed=options["seed"],
                truncate=options["truncate"],
                check=not options["skip_check"],
                progress=progress,
            )
        except GenerateError as error:
            raise CommandError(str(error)) from error

        self.stdout.write("")
        self.stdout.write(f"  {'table':<22}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        for table, stats in result.tables.items():
            self.stdout.write(
                f"  {table:<22}{stats.rows:>12,}{stats.seconds:>10.1f}{stats.rate:>12,.0f}"
            )
        self.stdout.write(
            f"  {'total':<22}{result.rows:>12,}{result.seconds:>10.1f}"
            f"{result.rows / result.seconds:>12,.0f}"
        )
        steps = {
            "removing earlier rows": result.purge_seconds,
            "planning": result.planning_seconds,
            "index rebuild": result.rebuild_seconds,
            "analyze": result.analyze_seconds,
            "check": result.check_seconds,
            "queue refresh": result.derived_seconds,
            "vacuum": result.vacuum_seconds,
        }
        self.stdout.write(
            "  of which "
            + ", ".join(f"{name} {secs:.1f} s" for name, secs in steps.items() if secs)
        )
        invoices = result.tables["invoices_invoice"].rows
        share = 100 * result.open_invoices / invoices if invoices else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.rows:,} rows in {result.seconds:.1f} s; "
                f"{result.open_invoices:,} open invoices ({share:.1f}%)."
            )
        )
