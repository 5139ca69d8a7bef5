"""Amounts in words people read — messages, timeline lines, order reasons — carry the
currency's own places, as the templates' ``|money`` does: JPY has none."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.locale_format import format_amount
from accounts.models import Currency
from accounts.templatetags.money import money
from collections_app.models import Activity
from collections_app.services import promise_record
from tests.collections_app.workflow import account, collector
from tests.factories import invoice


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1234567.5"), "USD", "1,234,567.50 USD"),
        (Decimal("150000"), "JPY", "150,000 JPY"),
        (Decimal("0.1"), "EUR", "0.10 EUR"),
        (Decimal("12"), "", "12.00"),
        (None, "USD", ""),
    ],
)
def test_format_amount_uses_the_currency_places(db, amount, currency, text):
    assert format_amount(amount, currency) == text
    assert money(amount, currency) == text


def test_a_promise_in_yen_reads_without_decimals_on_the_timeline(db):
    alice = collector("alice")
    customer = account(alice, currency=Currency.objects.get(code="JPY"))
    invoice(customer, "150000")
    promise_record(
        actor=alice,
        customer=customer,
        amount=Decimal("150000"),
        promised_date=timezone.localdate(),
    )

    summary = Activity.objects.get(customer=customer).summary
    assert "150,000 JPY" in summary and "150,000.00" not in summary
