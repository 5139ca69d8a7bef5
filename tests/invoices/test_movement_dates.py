"""Invoice.first_movement_date / last_movement_date: the services keep them around every
movement, the database keeps them ordered, the nightly check finds one that misses a
movement, and migration 0004 back-fills them from the ledger already written."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.errors import ServiceError
from invoices import services
from invoices.models import Application, Invoice
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)


def day(n: int) -> datetime.date:
    return JAN + datetime.timedelta(days=n)


def _bounds(inv: Invoice) -> tuple:
    inv.refresh_from_db()
    return inv.first_movement_date, inv.last_movement_date


def test_every_movement_widens_the_invoices_movement_dates():
    customer = CustomerFactory()
    inv = invoice(customer, "300.00", issue_date=JAN)
    assert _bounds(inv) == (None, None)

    cash = payment(customer, "100.00", received_date=day(30))
    services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.00"))],
        effective_date=day(30),
    )
    assert _bounds(inv) == (day(30), day(30))

    memo = services.credit_memo_issue(
        actor=None, customer=customer, number="CM-1", issue_date=day(10), amount="50.00", reason="x"
    )
    services.credit_memo_apply(
        actor=None,
        credit_memo=memo,
        allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("50.00"))],
        effective_date=day(10),
    )
    assert _bounds(inv) == (day(10), day(30))  # back-dated: the first bound moves back

    services.application_reverse(
        actor=None, application=Application.objects.get(payment=cash), effective_date=day(45)
    )
    assert _bounds(inv) == (day(10), day(45))

    services.invoice_adjust(
        actor=None,
        invoice=inv,
        kind="write_off",
        amount="20.00",
        reason="x",
        effective_date=day(20),
    )
    assert _bounds(inv) == (day(10), day(45))  # inside the bounds: nothing to widen
    assert ledger_discrepancies() == []


def test_a_refused_application_leaves_the_movement_dates_alone():
    customer = CustomerFactory()
    inv = invoice(customer, "100.00", issue_date=JAN)
    cash = payment(customer, "500.00", received_date=day(5))

    with pytest.raises(ServiceError):
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("100.01"))],
            effective_date=day(5),
        )

    assert _bounds(inv) == (None, None)
    assert Invoice.objects.get(pk=inv.pk).open_amount == Decimal("100.00")
    assert Application.objects.count() == 0


def test_the_nightly_check_reports_bounds_that_miss_a_movement():
    customer = CustomerFactory()
    inv = invoice(customer, "300.00", number="INV-B", issue_date=JAN)
    for received in (day(10), day(30)):
        services.payment_post(
            actor=None,
            customer=customer,
            reference=f"P-{received}",
            received_date=received,
            amount="10.00",
            allocations=[services.Allocation(invoice_id=inv.pk, amount=Decimal("10.00"))],
        )
    Invoice.objects.filter(pk=inv.pk).update(last_movement_date=day(29))

    assert ledger_discrepancies() == [
        {
            "kind": "invoice_movement_dates",
            "id": inv.pk,
            "ref": "INV-B",
            "stored": "2026-01-11..2026-01-30",
            "derived": "2026-01-11..2026-01-31",
        }
    ]


def test_the_database_refuses_a_first_movement_after_the_last_or_only_one_bound():
    inv = invoice(CustomerFactory(), "100.00", issue_date=JAN)

    for first, last in [(day(9), day(8)), (day(9), None), (None, day(9))]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=inv.pk).update(
                first_movement_date=first, last_movement_date=last
            )

    assert _bounds(inv) == (None, None)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_migration_0004_backfills_the_bounds_from_applications_and_adjustments():
    customer = CustomerFactory()
    paid_twice, written_off, untouched = (
        invoice(customer, "300.00", issue_date=JAN),
        invoice(customer, "80.00", issue_date=JAN),
        invoice(customer, "40.00", issue_date=JAN),
    )
    for received in (day(40), day(12)):
        services.payment_post(
            actor=None,
            customer=customer,
            reference=f"P-{received}",
            received_date=received,
            amount="10.00",
            allocations=[services.Allocation(invoice_id=paid_twice.pk, amount=Decimal("10.00"))],
        )
    services.invoice_adjust(
        actor=None,
        invoice=written_off,
        kind="write_off",
        amount="80.00",
        reason="x",
        effective_date=day(7),
    )
    try:
        _migrate([("invoices", "0003_movements_effective_date_covering")])
        _migrate([("invoices", "0004_invoice_movement_dates")])
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert [_bounds(i) for i in (paid_twice, written_off, untouched)] == [
        (day(12), day(40)),
        (day(7), day(7)),
        (None, None),
    ]
