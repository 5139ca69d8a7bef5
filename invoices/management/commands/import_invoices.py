from accounts.management.csv_import_command import CsvImportCommand
from invoices.imports import import_invoices


class Command(CsvImportCommand):
    help = "Create invoices from a CSV file, all rows or none; see docs/imports.md."
    kind = "invoices"
    importer = staticmethod(import_invoices)
