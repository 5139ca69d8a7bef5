"""Record the dunning levels a previous system sent, from a CSV file with the columns
``invoice`` (number), ``level`` and ``sent_on`` (YYYY-MM-DD), so Dunwell's runs continue from
them rather than starting every invoice at level 1 (docs/dunning.md). All rows or none.

The file is read like every other import (``accounts/csv_reading.py``): UTF-8 with or
without a byte-order mark, a cell a spreadsheet would run as a formula refused, and every
error listed by row and column before anything is written."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.csv_reading import Columns, ErrorCollector, ImportRejected, open_sheet, shown
from accounts.errors import ServiceError
from dunning.services import invoice_dunning_history_import
from invoices.models import Invoice

COLUMNS = Columns(required=("invoice", "level", "sent_on"))
LEVEL_MAX = 99


def history_steps(path: str) -> list[tuple[int, int, object]]:
    """(invoice id, level, sent on) per row; ImportRejected naming every bad row."""
    errors = ErrorCollector()
    parsed = []
    with open_sheet(path, COLUMNS) as sheet:
        for row in sheet.rows(errors):
            number = row.text("invoice", required=True, max_length=50)
            level = row.integer("level", required=True, minimum=1, maximum=LEVEL_MAX)
            sent_on = row.date("sent_on")
            if row.ok:
                parsed.append((row.number, number, level, sent_on))
    ids = dict(
        Invoice.objects.filter(number__in={p[1] for p in parsed}).values_list("number", "pk")
    )
    steps = []
    for row_number, number, level, sent_on in parsed:
        if number not in ids:
            errors.add(row_number, "invoice", f"no invoice {shown(number)}")
        else:
            steps.append((ids[number], level, sent_on))
    errors.raise_if_any()
    return steps


class Command(BaseCommand):
    help = "Record dunning levels already sent (CSV: invoice,level,sent_on)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file with a header row: invoice,level,sent_on")

    def handle(self, *args, path: str, **options):
        try:
            steps = history_steps(path)
        except ImportRejected as rejected:
            lines = [rejected.detail, *(f"  {error}" for error in rejected.errors)]
            raise CommandError("\n".join(lines)) from None
        try:
            recorded = invoice_dunning_history_import(actor=None, steps=steps)
        except ServiceError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(f"{recorded} dunning level{'s' if recorded != 1 else ''} recorded.")
