from accounts.management.csv_import_command import CsvImportCommand
from invoices.imports import import_payments


class Command(CsvImportCommand):
    help = "Post payments from a CSV file, applied to their invoices; see docs/imports.md."
    kind = "payments"
    importer = staticmethod(import_payments)
