"""disputes/0003 on existing data: each dispute's one amount becomes lines spread the way
aging split it (due date order, up to each open amount, then up to each amount), nothing
lost; the history gets each opening and resolution; department and due date come from the
reason."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from invoices.services import Allocation
from tests.factories import CustomerFactory, invoice, payment

BEFORE = [("disputes", "0002_resolution")]
AFTER = [("disputes", "0003_dispute_lines_reasons_workflow")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_disputes_become_lines_and_history_and_nothing_is_lost():
    customer = CustomerFactory(name="Migrated")
    early = invoice(customer, "200.00", number="EARLY", issue_date=datetime.date(2026, 1, 1))
    late = invoice(customer, "300.00", number="LATE", issue_date=datetime.date(2026, 2, 1))
    small = invoice(customer, "150.00", number="SMALL", issue_date=datetime.date(2026, 1, 15))
    payment(
        customer,
        "100.00",
        received_date=datetime.date(2026, 3, 1),
        allocations=[Allocation(invoice_id=small.pk, amount=Decimal("100.00"))],
    )
    opened = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    resolved = datetime.datetime(2026, 3, 9, 17, 30, tzinfo=datetime.UTC)
    apps = _migrate(BEFORE)
    Dispute = apps.get_model("disputes", "Dispute")

    def old_dispute(amount, invoices, reason_code="pricing", status="open"):
        found = Dispute.objects.create(
            customer_id=customer.pk,
            amount=Decimal(amount),
            currency_id="USD",
            reason_code=reason_code,
            status=status,
            opened_at=opened,
            resolved_at=resolved if status == "resolved" else None,
            resolution="credit note" if status == "resolved" else "",
        )
        found.invoices.set([i.pk for i in invoices])
        return found

    spread = old_dispute("250.00", [late, early])
    # SMALL owes 50 now: 50 by its open amount, the other 70 up to its amount
    paid_since = old_dispute("120.00", [small], reason_code="tax", status="resolved")
    second = old_dispute("30.00", [early], reason_code="damaged")
    try:
        apps = _migrate(AFTER)
        Dispute = apps.get_model("disputes", "Dispute")
        DisputeLine = apps.get_model("disputes", "DisputeLine")
        DisputeEvent = apps.get_model("disputes", "DisputeEvent")

        lines = {
            (d, n): a
            for d, n, a in DisputeLine.objects.values_list(
                "dispute_id", "invoice__number", "amount"
            )
        }
        assert lines == {
            (spread.pk, "EARLY"): Decimal("200.00"),
            (spread.pk, "LATE"): Decimal("50.00"),
            (paid_since.pk, "SMALL"): Decimal("120.00"),
            (second.pk, "EARLY"): Decimal("30.00"),
        }
        for dispute in Dispute.objects.all():
            assert sum(a for (d, _n), a in lines.items() if d == dispute.pk) == dispute.amount
        assert {
            d.pk: (d.reason_id, d.department, d.due_date, d.status, d.outcome)
            for d in Dispute.objects.all()
        } == {
            spread.pk: ("pricing", "sales", datetime.date(2026, 3, 12), "open", ""),
            paid_since.pk: ("tax", "billing", datetime.date(2026, 3, 12), "resolved", ""),
            second.pk: ("damaged", "shipping", datetime.date(2026, 3, 12), "open", ""),
        }
        assert sorted(
            DisputeEvent.objects.values_list("dispute_id", "kind", "at", "from_status", "status")
        ) == sorted(
            [
                (spread.pk, "opened", opened, "", "open"),
                (paid_since.pk, "opened", opened, "", "open"),
                (paid_since.pk, "moved", resolved, "open", "resolved"),
                (second.pk, "opened", opened, "", "open"),
            ]
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_going_back_restores_the_old_invoices_of_each_dispute():
    from disputes.models import Dispute as CurrentDispute
    from tests.factories import dispute_record

    customer = CustomerFactory(name="Round trip")
    a = invoice(customer, "200.00", number="A")
    b = invoice(customer, "300.00", number="B")
    kept = dispute_record(customer, {a: "20.00", b: "30.00"}, reason="tax")
    assert CurrentDispute.objects.count() == 1
    try:
        apps = _migrate(BEFORE)
        Dispute = apps.get_model("disputes", "Dispute")

        old = Dispute.objects.get(pk=kept.pk)
        assert (old.reason_code, sorted(old.invoices.values_list("number", flat=True))) == (
            "tax",
            ["A", "B"],
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
