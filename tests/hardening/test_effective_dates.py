"""Issue 16, item 2: effective dates are bounded (not after today, not before the invoice
was issued or the money arrived), and the nightly ledger check finds movements dated in
the future."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from accounts.models import AuditEntry
from invoices import services
from invoices.imports import import_payments
from invoices.models import Adjustment, Application, Invoice, Payment, ReturnedPayment
from invoices.selectors import ledger_discrepancies
from invoices.tasks import ledger_check
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db


def _today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def acme():
    return CustomerFactory(external_ref="ACME", name="Acme")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_refuses_applying_cash_in_the_year_2999_and_stores_nothing(acme):
    finance = user_in_role(roles.FINANCE, "fiona")
    owed = invoice(acme, "100.00")
    cash = payment(acme, "100.00")
    audit_before = AuditEntry.objects.count()

    response = _api(finance).post(
        f"/api/v1/payments/{cash.pk}/apply/",
        {
            "allocations": [{"invoice": owed.pk, "amount": "100.00"}],
            "effective_date": "2999-12-31",
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == "effective_date"
    assert Application.objects.count() == 0
    owed.refresh_from_db()
    assert owed.open_amount == Decimal("100.00")
    assert AuditEntry.objects.count() == audit_before


def test_cash_cannot_be_applied_before_the_invoice_was_issued(acme):
    owed = invoice(acme, "100.00", issue_date=datetime.date(2026, 3, 1))
    cash = payment(acme, "100.00", received_date=datetime.date(2026, 2, 1))

    with pytest.raises(ServiceError) as refused:
        services.payment_apply(
            actor=None,
            payment=cash,
            allocations=[services.Allocation(invoice_id=owed.pk, amount=Decimal("100.00"))],
            effective_date=datetime.date(2026, 2, 15),
        )

    assert refused.value.field == "effective_date"
    assert Application.objects.count() == 0


def test_a_write_off_dated_1900_on_an_invoice_issued_in_2026_is_refused(acme):
    owed = invoice(acme, "100.00", issue_date=datetime.date(2026, 1, 1))

    with pytest.raises(ServiceError) as refused:
        services.invoice_adjust(
            actor=None,
            invoice=owed,
            kind="write_off",
            amount="100.00",
            reason="bad debt",
            effective_date=datetime.date(1900, 1, 1),
        )

    assert refused.value.field == "effective_date"
    assert Adjustment.objects.count() == 0
    assert Invoice.objects.get().open_amount == Decimal("100.00")


def test_a_write_off_dated_tomorrow_is_refused(acme):
    owed = invoice(acme, "100.00", issue_date=datetime.date(2026, 1, 1))

    with pytest.raises(ServiceError) as refused:
        services.invoice_adjust(
            actor=None,
            invoice=owed,
            kind="write_off",
            amount="100.00",
            reason="bad debt",
            effective_date=_today() + datetime.timedelta(days=1),
        )

    assert refused.value.field == "effective_date"
    assert Adjustment.objects.count() == 0


def test_a_reversal_dated_in_the_future_is_refused(acme):
    owed = invoice(acme, "100.00")
    cash = payment(acme, "100.00")
    [applied] = services.payment_apply_oldest_first(actor=None, payment=cash)

    with pytest.raises(ServiceError) as refused:
        services.application_reverse(
            actor=None, application=applied, effective_date=_today() + datetime.timedelta(days=3)
        )

    assert refused.value.field == "effective_date"
    assert Application.objects.count() == 1
    owed.refresh_from_db()
    assert owed.open_amount == Decimal("0.00")


def test_the_ledger_check_finds_a_movement_dated_in_the_future(acme):
    owed = invoice(acme, "100.00")
    cash = payment(acme, "100.00")
    [applied] = services.payment_apply_oldest_first(actor=None, payment=cash)
    future = _today() + datetime.timedelta(days=400)
    with connection.cursor() as cursor:
        # as a row written before the bound existed (or by a bulk loader) would be
        cursor.execute(
            "SET LOCAL session_replication_role = replica"
        )  # past the append-only trigger
        cursor.execute(
            "UPDATE invoices_application SET effective_date = %s WHERE id = %s",
            [future, applied.pk],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(
            "UPDATE invoices_invoice SET last_movement_date = %s WHERE id = %s", [future, owed.pk]
        )

    problems = ledger_discrepancies()

    assert problems == [
        {
            "kind": "future_movement",
            "id": applied.pk,
            "ref": owed.number,
            "stored": future.isoformat(),
            "derived": f"not after {_today().isoformat()}",
        }
    ]
    assert ledger_check() == 1


def test_a_payment_cannot_come_back_from_the_bank_tomorrow(acme):
    """A void takes effect at its return date (the reversals of its applications, the
    returned-payment event the risk score counts up to today): never in the future, even
    for a payment with nothing applied."""
    cash = payment(acme, "100.00")
    finance = user_in_role(roles.FINANCE, "fiona")
    page = Client()
    page.force_login(finance)
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.payment_void(
            actor=None,
            payment=cash,
            return_date=_today() + datetime.timedelta(days=1),
            reason="NSF",
        )
    response = page.post(
        f"/cash/payments/{cash.pk}/void/",
        {"return_date": (_today() + datetime.timedelta(days=30)).isoformat(), "reason": "NSF"},
    )

    assert refused.value.field == "return_date"
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()
    cash.refresh_from_db()
    assert (cash.status, cash.unapplied_amount) == ("posted", Decimal("100.00"))
    assert ReturnedPayment.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_the_ledger_check_finds_a_refund_dated_in_the_future(acme):
    cash = payment(acme, "100.00", reference="PAY-R")
    refund = services.unapplied_refund(
        actor=None, source=cash, kind="refund", amount="40.00", reference="TRF-1", reason="r"
    )
    future = _today() + datetime.timedelta(days=30)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # append-only trigger
        cursor.execute(
            "UPDATE invoices_refund SET effective_date = %s WHERE id = %s", [future, refund.pk]
        )
        cursor.execute("SET LOCAL session_replication_role = origin")

    problems = ledger_discrepancies()

    assert problems == [
        {
            "kind": "future_movement",
            "id": refund.pk,
            "ref": "PAY-R",
            "stored": future.isoformat(),
            "derived": f"not after {_today().isoformat()}",
        }
    ]


def test_cash_is_not_received_tomorrow_by_the_api_or_a_payments_file(acme):
    """A payment received after today could never be applied (applications take effect no
    later than today): the API and the CSV import refuse it, naming received_date."""
    tomorrow = _today() + datetime.timedelta(days=1)
    finance = user_in_role(roles.FINANCE, "fin")
    before = (Payment.objects.count(), AuditEntry.objects.count())

    response = _api(finance).post(
        "/api/v1/payments/",
        {
            "reference": "FUTURE-1",
            "customer": "ACME",
            "received_date": tomorrow.isoformat(),
            "amount": "100.00",
            "currency": "USD",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "received_date"

    csv = (
        "reference,customer_ref,received_date,amount,currency\n"
        f"OK-1,ACME,{_today().isoformat()},10.00,USD\n"
        f"FUTURE-2,ACME,{tomorrow.isoformat()},10.00,USD\n"
    )
    with pytest.raises(ImportRejected) as refused:
        import_payments(io.BytesIO(csv.encode()), actor=None)
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "received_date")]
    assert "in the future" in refused.value.errors[0].reason
    assert (Payment.objects.count(), AuditEntry.objects.count()) == before


def test_a_credit_memo_is_not_issued_tomorrow(acme):
    before = AuditEntry.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.credit_memo_issue(
            actor=None,
            customer=acme,
            number="CM-FUTURE",
            issue_date=_today() + datetime.timedelta(days=1),
            amount="50.00",
            reason="goodwill",
        )

    assert refused.value.field == "issue_date"
    assert AuditEntry.objects.count() == before
