"""The order rules read the nightly risk class: an order of a high-risk account is held
with the factors in words; a low or unscored account gets no such reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import services
from credit.order_rules import order_judge
from invoices.services import payment_void
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _risk_reasons(customer) -> list[dict]:
    judgement = order_judge(customer=customer, chain=[customer], amount=Decimal("10.00"))
    return [reason for reason in judgement.reasons if reason["code"] == "risk_high"]


def test_an_order_of_a_high_risk_account_is_held_with_the_factors():
    risky = CustomerFactory(credit_limit=Decimal("1000.00"))
    calm = CustomerFactory(credit_limit=Decimal("1000.00"))
    invoice(risky, "1100.00", issue_date=TODAY - datetime.timedelta(days=5))
    for n in range(2):
        bounced = payment(risky, "10.00", received_date=TODAY - datetime.timedelta(days=3 + n))
        payment_void(
            actor=None,
            payment=bounced,
            return_date=TODAY - datetime.timedelta(days=1),
            reason="NSF",
        )
    assert _risk_reasons(risky) == []  # not scored yet

    services.risk_scores_refresh()

    assert _risk_reasons(risky) == [
        {
            "code": "risk_high",
            "text": "The account's risk class is high: "
            "2 payments returned by the bank in 12 months; over its credit limit (110% used).",
        }
    ]
    assert _risk_reasons(calm) == []
