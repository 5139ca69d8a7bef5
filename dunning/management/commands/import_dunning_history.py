"""Record the dunning levels a previous system sent, from a CSV file with the columns
``invoice`` (number), ``level`` and ``sent_on`` (YYYY-MM-DD), so Dunwell's runs continue from
them rather than starting every invoice at level 1 (docs/dunning.md). All rows or none."""

from __future__ import annotations

import csv
import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ServiceError
from dunning.services import invoice_dunning_history_import
from invoices.models import Invoice

COLUMNS = ("invoice", "level", "sent_on")


class Command(BaseCommand):
    help = "Record dunning levels already sent (CSV: invoice,level,sent_on)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file with a header row: invoice,level,sent_on")

    def handle(self, *args, path: str, **options):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise CommandError(f"the header must be {','.join(COLUMNS)}")
            rows = list(reader)
        ids = dict(
            Invoice.objects.filter(number__in={r["invoice"] for r in rows}).values_list(
                "number", "pk"
            )
        )
        steps = []
        for line, row in enumerate(rows, start=2):
            try:
                steps.append(
                    (
                        ids[row["invoice"]],
                        int(row["level"]),
                        datetime.date.fromisoformat(row["sent_on"]),
                    )
                )
            except KeyError:
                raise CommandError(f"line {line}: no invoice {row['invoice']!r}") from None
            except ValueError as exc:
                raise CommandError(f"line {line}: {exc}") from None
        try:
            recorded = invoice_dunning_history_import(actor=None, steps=steps)
        except ServiceError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(f"{recorded} dunning level{'s' if recorded != 1 else ''} recorded.")
