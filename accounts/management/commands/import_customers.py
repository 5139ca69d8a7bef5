from accounts.imports import import_customers
from accounts.management.csv_import_command import CsvImportCommand


class Command(CsvImportCommand):
    help = "Create or update customers (and their contacts) from a CSV file; see docs/imports.md."
    kind = "customers"
    importer = staticmethod(import_customers)
