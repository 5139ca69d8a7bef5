"""What the matcher settles without a person when a bank credit pays an invoice short: bank
charges within the tolerance and the early-payment discount within its days, each booked as
its own kind of adjustment, and never more than the write-off approval limit, whatever the
tolerance says (above it, a person writes the rest off, with approval)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from cash import matching, services
from invoices.models import Adjustment, Invoice
from invoices.selectors import ledger_discrepancies
from tests.factories import invoice

from .statements import Entry, camt053

pytestmark = pytest.mark.django_db

STATEMENT_DAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.REPORTING_CURRENCY = "USD"
    settings.SMALL_BALANCE_LIMIT = "25.00"
    settings.CASH_BANK_CHARGES_TOLERANCE = "25.00"
    settings.CASH_WRITE_OFF_APPROVAL_LIMIT = "1000.00"
    settings.CASH_AUTO_APPLY_THRESHOLD = 80
    settings.CASH_EARLY_PAYMENT_DISCOUNT = ("2.00", 10)


def _import(entry: Entry):
    job = services.bank_import_upload(actor=None, file_name="s.xml", content=camt053([entry]))
    return services.bank_import_process(bank_import_id=job.pk)


def test_bank_charges_above_the_approval_limit_are_not_written_off_automatically(
    acme, acme_invoices, settings
):
    # the tolerance (25.00) is set above the write-off approval limit (10.00)
    settings.CASH_WRITE_OFF_APPROVAL_LIMIT = "10.00"
    (best,) = matching.rank(
        customer=acme,
        amount=Decimal("232.50"),
        currency="USD",
        remittance="INV-0002",
        payer_name="Acme Tools Inc.",
        received_date=STATEMENT_DAY,
    )

    job = _import(Entry("BNK-1", "232.50", payer="Acme Tools Inc.", text="INV-0002"))

    # a part payment of the invoice it names, from the customer's own name: the money is
    # applied; the 17.50 stays open for a person to write off (approved above 10.00)
    assert (best.amount, best.settle, best.score) == (Decimal("232.50"), Decimal("0"), 85)
    assert (
        "a person writes the rest off: 17.50 USD is above the write-off approval limit of 10.00 USD"
    ) in best.reason
    assert (job.status, job.applied_automatically) == ("done", 1)
    assert Invoice.objects.get(number="INV-0002").open_amount == Decimal("17.50")
    assert not Adjustment.objects.exists()
    assert ledger_discrepancies() == []


def test_bank_charges_within_both_limits_settle_the_invoice(acme, acme_invoices, settings):
    settings.CASH_WRITE_OFF_APPROVAL_LIMIT = "20.00"

    _import(Entry("BNK-1", "232.50", payer="Acme Tools Inc.", text="INV-0002"))

    assert Invoice.objects.get(number="INV-0002").open_amount == Decimal("0.00")
    (charges,) = Adjustment.objects.all()
    assert (charges.kind, charges.amount, charges.reason) == (
        "small_balance",
        Decimal("17.50"),
        "bank charges deducted by the payer's bank",
    )
    assert ledger_discrepancies() == []


def test_the_early_payment_discount_is_booked_as_a_discount_not_a_write_off(acme):
    invoice(acme, "400.00", number="INV-0500", issue_date=datetime.date(2026, 2, 25))

    _import(Entry("BNK-2", "392.00", payer="Acme Tools Inc.", text="INV-0500"))

    assert Invoice.objects.get(number="INV-0500").open_amount == Decimal("0.00")
    (discount,) = Adjustment.objects.all()
    assert (discount.kind, discount.amount, discount.effective_date, discount.reason) == (
        "discount",
        Decimal("8.00"),
        STATEMENT_DAY,
        "early-payment discount 2 % (paid within 10 days)",
    )
    assert discount.get_kind_display() == "Early-payment discount"
    assert ledger_discrepancies() == []


def test_a_discount_above_the_approval_limit_waits_for_a_person(acme):
    big = invoice(acme, "100000.00", number="INV-0600", issue_date=datetime.date(2026, 2, 25))
    (best,) = matching.rank(
        customer=acme,
        amount=Decimal("98000.00"),
        currency="USD",
        remittance="INV-0600",
        received_date=STATEMENT_DAY,
    )

    _import(Entry("BNK-3", "98000.00", payer="Acme Tools Inc.", text="INV-0600"))

    assert best.settle == Decimal("0")
    assert "2,000.00 USD is above the write-off approval limit of 1,000.00 USD" in best.reason
    big.refresh_from_db()
    assert big.open_amount == Decimal("2000.00")  # the payment applied, the rest open
    assert not Adjustment.objects.exists()
    assert ledger_discrepancies() == []


def test_a_discount_can_be_booked_by_hand_on_the_write_off_page(finance, acme):
    from .conftest import logged_in

    bill = invoice(acme, "400.00", number="INV-0700", issue_date=datetime.date(2026, 2, 25))
    client = logged_in(finance)
    assert 'value="discount"' in client.get(f"/cash/invoices/{bill.pk}/write-off/").content.decode()

    client.post(
        f"/cash/invoices/{bill.pk}/write-off/",
        {"kind": "discount", "amount": "8.00", "reason": "2 % within 10 days"},
    )

    (discount,) = Adjustment.objects.all()
    assert (discount.kind, discount.amount) == ("discount", Decimal("8.00"))
