from accounts.exchange_rates import import_exchange_rates
from accounts.management.csv_import_command import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Set exchange rates from a CSV file (currency,quote_currency,valid_from,rate); "
        "a row for a pair and day already set replaces that day's rate; see docs/imports.md."
    )
    kind = "exchange rates"
    importer = staticmethod(import_exchange_rates)
