"""Finance's cash journey in a browser: upload a camt.053 statement and watch it import,
apply a suggested match with one click, check the running remainder, void a bounced
payment. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import datetime
import re

import pytest

from accounts import roles
from cash.models import BankImport
from dunwell.celery import app as celery_app
from invoices.models import Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.cash.statements import camt053
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def eager_tasks():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _book():
    user_in_role(roles.FINANCE, "fiona")
    acme = CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")
    for number, amount, day in [
        ("INV-0001", "100.00", 1),
        ("INV-0002", "250.00", 10),
        ("INV-0003", "400.00", 20),
    ]:
        invoice(acme, amount, number=number, issue_date=datetime.date(2026, 1, day))
    return acme


def test_finance_imports_a_statement_applies_a_match_and_voids_a_bounce(
    page, screenshot, tmp_path, eager_tasks
):
    _book()
    statement = tmp_path / "camt053-2026-03-02.xml"
    statement.write_bytes(camt053())

    page.goto("/cash/imports/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Bank files").wait_for()
    assert page.get_by_role("link", name="Cash", exact=True).count() == 1

    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_role("button", name="Upload and import").click()
    page.locator("#import-status", has_text="Done").wait_for()
    assert page.locator("#import-bar").get_attribute("value") == "100"
    assert "0 of 4" not in page.locator("#import-progress").inner_text()
    tiles = {
        tile.locator("span").inner_text(): tile.locator("strong").inner_text()
        for tile in page.locator("#import-summary li").all()
    }
    assert tiles == {
        "Payments posted": "2",
        "Applied automatically": "1",
        "Waiting for a customer": "1",
        "Already imported": "0",
        "Debits / returns listed": "1",
        "Returned payments voided": "0",
    }
    screenshot("cash-import-done")

    page.get_by_role("link", name="Unapplied cash").click()
    page.get_by_role("heading", name=re.compile("Unapplied cash")).wait_for()
    screenshot("cash-unapplied")
    row = page.locator("#unapplied-payments tr", has_text="BNK-0002")
    assert "INV-0001" in row.inner_text()
    row.get_by_role("link", name="Apply").click()

    page.get_by_role("heading", name="Suggested matches").wait_for()
    assert page.locator("#remainder").inner_text() == "0.00 USD"
    page.get_by_label("INV-0001", exact=True).uncheck()
    assert page.locator("#remainder").inner_text() == "100.00 USD"
    page.get_by_label("INV-0001", exact=True).check()
    page.get_by_label("Amount to apply to INV-0001").fill("60")
    assert page.locator("#remainder").inner_text() == "40.00 USD"
    screenshot("cash-apply-suggestion")
    page.get_by_role("button", name="Apply suggestion INV-0001").click()
    page.get_by_text("Applied 100.00 USD to 1 invoice.").wait_for()
    assert Invoice.objects.get(number="INV-0001").open_amount == 0
    screenshot("cash-applied")

    page.goto(f"/cash/payments/{Payment.objects.get(reference='BNK-0001').pk}/")
    page.get_by_text("Void this payment").click()
    page.get_by_label("Returned on").fill("2026-03-05")
    page.get_by_label("Reason").fill("Cheque returned unpaid (NSF)")
    page.get_by_role("button", name="Void payment").click()
    page.locator("#void-badge").wait_for()
    assert page.locator("#unapplied").inner_text() == "250.00 USD"
    screenshot("cash-voided")

    assert Invoice.objects.get(number="INV-0002").open_amount == 250
    assert BankImport.objects.get().status == "done"
    assert ledger_discrepancies() == []


def test_finance_turns_a_short_payment_into_a_deduction(page, screenshot, tmp_path, eager_tasks):
    from tests.cash.statements import Entry

    _book()
    statement = tmp_path / "camt053-short.xml"
    statement.write_bytes(
        camt053([Entry("BNK-0370", "370.00", payer="A TOOLS PURCHASING", text="INV-0003")])
    )

    page.goto("/cash/imports/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_role("button", name="Upload and import").click()
    page.locator("#import-status", has_text="Done").wait_for()

    page.goto(f"/cash/payments/{Payment.objects.get(reference='BNK-0370').pk}/")
    row = page.locator("#suggestions tr", has_text="INV-0003")
    assert "a part payment of it" in row.inner_text()
    screenshot("cash-short-payment")
    row.get_by_role("button", name="Short payment of INV-0003: open a deduction").click()
    page.get_by_text(re.compile(r"Applied 370.00 USD to INV-0003 and opened deduction")).wait_for()
    assert page.locator("#unapplied").inner_text() == "0.00 USD"
    screenshot("cash-short-deduction")

    from disputes.models import Dispute

    dispute = Dispute.objects.get()
    assert (dispute.kind, dispute.amount) == ("deduction", 30)
    assert Invoice.objects.get(number="INV-0003").open_amount == 30
    assert ledger_discrepancies() == []


def test_finance_saves_a_csv_mapping_and_imports_a_lockbox_file(
    page, screenshot, tmp_path, eager_tasks
):
    from tests.cash.test_lockbox_csv import DAY, lockbox

    _book()
    page.goto("/cash/imports/csv-mappings/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    form = page.get_by_role("form", name="Add a CSV mapping")
    form.get_by_label("Name", exact=True).fill("First Bank export")
    form.get_by_label("Account", exact=True).fill("US00FIRST")
    form.get_by_label("Date column").fill("Date")
    form.get_by_label("Amount column").fill("Amount")
    form.get_by_label("Currency", exact=True).select_option("USD")
    form.get_by_label("Remittance column").fill("Details")
    form.get_by_role("button", name="Save mapping").click()
    page.get_by_text("Saved the CSV mapping First Bank export.").wait_for()
    assert "First Bank export" in page.locator("#csv-mappings").inner_text()
    screenshot("cash-csv-mappings")

    box = tmp_path / "lockbox-260302.txt"
    box.write_bytes(lockbox(DAY))
    page.goto("/cash/imports/")
    page.get_by_label("Statement file").set_input_files(str(box))
    page.get_by_role("button", name="Upload and import").click()
    page.locator("#import-status", has_text="Done").wait_for()
    assert BankImport.objects.get().format == "lockbox"
    assert Invoice.objects.filter(open_amount=0).count() == 3
    screenshot("cash-lockbox-done")
