"""The workflow's amounts follow their currency's decimal places too: a promise, a payment
plan's instalments and a dispute in yen have no cents; the workspace shows yen without
decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from accounts.errors import ServiceError
from accounts.models import Currency
from collections_app import services
from collections_app.models import PaymentPlan, Promise
from disputes.models import Dispute

from .workflow import account, collector, days, overdue_invoice, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def tokyo(alice):
    return account(alice, "Tokyo Trading", currency=Currency.objects.get(code="JPY"))


def test_a_promise_of_yen_and_cents_is_refused(alice, tokyo):
    overdue_invoice(tokyo, "50000", days_late=10)

    with pytest.raises(ServiceError) as refused:
        services.promise_record(
            actor=alice, customer=tokyo, amount=Decimal("100.50"), promised_date=today()
        )

    assert (refused.value.field, refused.value.message) == (
        "amount",
        "100.50 JPY: JPY amounts have no decimal places",
    )
    assert Promise.objects.count() == 0


def test_a_payment_plan_instalment_with_cents_is_refused(alice, tokyo):
    with pytest.raises(ServiceError) as refused:
        services.payment_plan_agree(
            actor=alice,
            customer=tokyo,
            installments=[(today() + days(7), Decimal("100")), (today() + days(14), "0.5")],
        )

    assert refused.value.field == "installments"
    assert PaymentPlan.objects.count() == 0


def test_a_dispute_of_yen_and_cents_is_refused(alice, tokyo):
    item = overdue_invoice(tokyo, "50000", days_late=10)

    with pytest.raises(ServiceError) as refused:
        services.dispute_raise(
            actor=alice,
            customer=tokyo,
            invoice_ids=[item.pk],
            reason_code="pricing",
            amount=Decimal("99.99"),
        )

    assert refused.value.field == "amount"
    assert Dispute.objects.count() == 0


def _render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1234567.00"), "JPY", "1,234,567 JPY"),
        (Decimal("1234.50"), "USD", "1,234.50 USD"),
        (Decimal("1234.5"), "EUR", "1,234.50 EUR"),
        (Decimal("0.00"), "JPY", "0 JPY"),
    ],
)
def test_the_money_filter_shows_a_currency_s_own_decimal_places(amount, currency, shown):
    assert _render("{{ a|money:c }}", a=amount, c=currency) == shown


def test_the_money_filter_takes_a_currency_row_as_well_as_a_code():
    yen = Currency.objects.get(code="JPY")
    assert _render("{{ a|money:c }}", a=Decimal("5000.00"), c=yen) == "5,000 JPY"


def test_the_workspace_shows_yen_without_decimals(client, alice, tokyo):
    overdue_invoice(tokyo, "1250000", days_late=10, number="JP-1")
    client.force_login(alice)

    page = client.get(f"/customers/{tokyo.pk}/").content.decode()

    assert "1,250,000 JPY" in page
    assert "1,250,000.00" not in page
