"""Issue 16, item 1: every amount is bounded by AMOUNT_MAX at the service layer, the stored
sums are wide enough for many amounts at the bound, and one account's bad data never
stops a set-based job for the others."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry, Currency, ExchangeRate
from collections_app.models import QueueState
from collections_app.services import queue_state_refresh
from invoices import services as ledger
from invoices.models import Invoice
from reporting.models import ARSnapshot, CollectorSnapshot
from reporting.snapshots import snapshot_take
from tests.collections_app.workflow import account, collector, overdue_invoice, today
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

AT_THE_BOUND = "1000000000000.00"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_refuses_an_invoice_above_the_business_maximum_naming_amount():
    finance = user_in_role(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME", name="Acme")
    audit_before = AuditEntry.objects.count()

    response = _api(finance).post(
        "/api/v1/invoices/",
        {
            "number": "INV-HUGE",
            "customer": "ACME",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "9000000000000000.00",
            "currency": "USD",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "amount"
    assert "1000000000000.00" in response.json()["detail"]
    assert Invoice.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_the_bound_is_a_setting_and_the_bound_itself_is_accepted(settings):
    settings.AMOUNT_MAX = Decimal("5000.00")
    customer = CustomerFactory()

    accepted = invoice(customer, "5000.00")
    with pytest.raises(ServiceError) as refused:
        invoice(customer, "5000.01")

    assert accepted.amount == Decimal("5000.00")
    assert refused.value.field == "amount"
    assert Invoice.objects.count() == 1


def test_a_payment_above_the_bound_is_refused_and_nothing_is_stored():
    customer = CustomerFactory()

    with pytest.raises(ServiceError) as refused:
        ledger.payment_post(
            actor=None,
            customer=customer,
            reference="PAY-HUGE",
            received_date=datetime.date(2026, 2, 1),
            amount=Decimal("1000000000000.01"),
            currency="USD",
        )

    assert refused.value.field == "amount"
    assert customer.payments.count() == 0


def test_the_queue_sums_amounts_at_the_bound_converted_into_a_weak_reporting_currency(settings):
    # 1e12 USD at 25 000 units of the reporting currency per dollar no longer fits 18 digits
    settings.REPORTING_CURRENCY = "EUR"
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="EUR",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("25000"),
    )
    alice = collector("alice")
    big = account(alice, "Big")
    for n in range(3):
        overdue_invoice(big, AT_THE_BOUND, days_late=95, number=f"BIG-{n}")

    queue_state_refresh()

    assert QueueState.objects.get(customer=big).open_amount == Decimal("75000000000000000.00")


def test_a_tiny_credit_limit_beside_a_huge_balance_does_not_stop_the_refresh():
    alice = collector("alice")
    tiny = account(alice, "Tiny limit", credit_limit=Decimal("0.01"))
    other = account(alice, "Other")
    overdue_invoice(tiny, AT_THE_BOUND, days_late=10)
    overdue_invoice(other, "500.00", days_late=10)

    result = queue_state_refresh()

    assert result.failed == ()
    assert QueueState.objects.get(customer=other).overdue_amount == Decimal("500.00")
    assert QueueState.objects.get(customer=tiny).credit_use_pct > 100


def test_one_account_the_database_refuses_does_not_stop_the_refresh_of_the_others(capsys):
    alice = collector("alice")
    bad = account(alice, "Bad data")
    good = account(alice, "Good")
    with connection.cursor() as cursor:
        # stands for any row the database cannot store (an overflow in legacy data)
        cursor.execute(
            "ALTER TABLE collections_app_queuestate ADD CONSTRAINT test_bad_row "
            f"CHECK (customer_id <> {bad.pk})"
        )
    overdue_invoice(bad, "100.00", days_late=10)
    overdue_invoice(good, "200.00", days_late=10)

    result = queue_state_refresh()
    call_command("refresh_queue")

    assert result.failed == (bad.pk,)
    assert result.rows == 1
    assert QueueState.objects.get(customer=good).overdue_amount == Decimal("200.00")
    assert not QueueState.objects.filter(customer=bad).exists()
    assert f"could not refresh customers: {bad.pk}" in capsys.readouterr().out


def test_the_snapshots_hold_the_sum_of_many_amounts_at_the_bound(settings):
    settings.REPORTING_CURRENCY = "EUR"
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="EUR",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("25000"),
    )
    big = CustomerFactory()
    for n in range(3):
        invoice(big, AT_THE_BOUND, number=f"BIG-{n}", issue_date=today())

    snapshot = snapshot_take(day=today())

    assert snapshot.total == Decimal("75000000000000000.00")
    assert ARSnapshot.objects.get().credit_sales == Decimal("75000000000000000.00")
    assert CollectorSnapshot.objects.get().total == Decimal("75000000000000000.00")
    assert Currency.objects.filter(code="EUR").exists()
