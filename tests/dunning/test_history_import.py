"""Dunning history from a previous system, imported from CSV: the next run continues from it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dunning import services as dunning
from dunning.models import InvoiceDunning, InvoiceDunningStep
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    days,
    overdue_invoice,
    today,
)
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    ensure_dunning_defaults()
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St\nTown")
    ContactFactory(customer=customer, email="ap@acme.example", is_primary=True)
    overdue_invoice(customer, "900.00", days_late=45, number="ACME-1")
    return customer


def csv_file(tmp_path, text: str) -> str:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_imported_levels_are_where_the_next_run_continues(acme, tmp_path):
    first, second = today() - days(40), today() - days(25)
    path = csv_file(tmp_path, f"invoice,level,sent_on\nACME-1,1,{first}\nACME-1,2,{second}\n")

    call_command("import_dunning_history", path)

    assert list(InvoiceDunningStep.objects.values_list("level_number", "sent_on", "source")) == [
        (1, first, "imported"),
        (2, second, "imported"),
    ]
    run = dunning.dunning_run_start(actor=credit_manager("carla"))
    assert run.communications.get().level.number == 3


def test_a_file_that_skips_a_level_records_nothing(acme, tmp_path):
    path = csv_file(tmp_path, f"invoice,level,sent_on\nACME-1,2,{today() - days(25)}\n")

    with pytest.raises(CommandError, match="ACME-1 is at level 0: record level 1 next"):
        call_command("import_dunning_history", path)

    assert not InvoiceDunningStep.objects.exists()
    assert not InvoiceDunning.objects.exists()


def test_every_bad_row_is_named_and_nothing_is_recorded(acme, tmp_path):
    path = csv_file(
        tmp_path,
        "invoice,level,sent_on\n"
        f"ACME-1,1,{today() - days(40)}\n"
        '=HYPERLINK("http://evil"),1,2026-01-05\n'
        "ACME-1,two,2026-01-05\n"
        "NOPE-9,1,2026-01-05\n"
        "ACME-1,2,31/01/2026\n",
    )

    with pytest.raises(CommandError) as refused:
        call_command("import_dunning_history", path)

    message = str(refused.value)
    assert message.splitlines() == [
        "nothing was imported: the file has 4 errors; fix them and import the whole file again",
        "  row 3, column invoice: '=HYPERLINK(\"http://evil\")' looks like a spreadsheet "
        "formula; enter the plain value",
        "  row 4, column level: 'two' is not a whole number",
        "  row 5, column invoice: no invoice 'NOPE-9'",
        "  row 6, column sent_on: '31/01/2026' is not a date as YYYY-MM-DD, e.g. 2026-03-31",
    ]
    assert not InvoiceDunningStep.objects.exists()


def test_a_file_saved_by_excel_with_a_byte_order_mark_is_read(acme, tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(f"\ufeffinvoice,level,sent_on\r\nACME-1,1,{today() - days(40)}\r\n".encode())

    call_command("import_dunning_history", str(path))

    assert InvoiceDunningStep.objects.get().level_number == 1


def test_a_wrong_header_is_refused_naming_the_column(acme, tmp_path):
    path = csv_file(tmp_path, "invoice,lvl,sent_on\nACME-1,1,2026-01-05\n")

    with pytest.raises(CommandError, match="column lvl: is not a column of this import"):
        call_command("import_dunning_history", path)
