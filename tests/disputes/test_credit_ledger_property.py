"""Resolving disputes with credit keeps the ledger whole, whatever the disputes: hypothesis
draws invoices, part payments, disputed lines and the credit given on each; every stored
balance recomputes from the movements, each invoice is down by exactly its credit, the credit
memos add up, and the aging before and after differs by the credit given (issue 14)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer
from disputes.models import DisputeOutcome
from disputes.services import dispute_open, dispute_resolve
from invoices.models import CreditMemo, Invoice
from invoices.selectors import ledger_discrepancies
from invoices.services import payment_post
from invoices.services.allocations import Allocation
from reporting.aging import AgingQuery, aging
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

CENTS = st.integers(min_value=1, max_value=500_000)
# per invoice: its amount, the share paid before (0-90 %), the disputed share of what is
# left (1-100 %) and the share of the dispute credited (0-100 %)
INVOICE = st.tuples(
    CENTS,
    st.integers(min_value=0, max_value=90),
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=0, max_value=100),
)


class _Undo(Exception):
    pass


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _share(amount: Decimal, percent: int) -> Decimal:
    return (amount * percent / 100).quantize(Decimal("0.01"))


def _aged(customer: Customer) -> Decimal:
    result = aging(
        AgingQuery(
            customers=Customer.objects.filter(pk=customer.pk),
            as_of=datetime.date.today(),
            currency=customer.currency_id,
        )
    )
    return result.total


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disputes=st.lists(st.lists(INVOICE, min_size=1, max_size=3), min_size=1, max_size=3))
def test_credit_memo_resolutions_keep_the_ledger_whole(disputes):
    try:
        with transaction.atomic():
            manager = user_in_role("Credit Manager", "carla")
            customer = CustomerFactory()
            issue = datetime.date.today() - datetime.timedelta(days=60)
            expected: dict[int, Decimal] = {}
            total_credit = Decimal("0.00")
            before_aging = None
            plans = []
            n = 0
            for lines in disputes:
                amounts, credits = {}, {}
                for cents, paid, disputed, credited in lines:
                    n += 1
                    amount = _cents(cents)
                    item = invoice(customer, amount, number=f"P-{n}", issue_date=issue)
                    paid_amount = _share(amount, paid)
                    if paid_amount >= amount:  # a cent paid "90 %" rounds to all of it
                        paid_amount = Decimal("0.00")
                    if paid_amount > 0:
                        payment_post(
                            actor=manager,
                            customer=customer,
                            amount=paid_amount,
                            reference=f"PAY-{n}",
                            received_date=issue,
                            allocations=[Allocation(invoice_id=item.pk, amount=paid_amount)],
                        )
                    left = amount - paid_amount
                    line = max(_share(left, disputed), Decimal("0.01"))
                    amounts[item.pk] = line
                    credits[item.pk] = _share(line, credited)
                    expected[item.pk] = left - credits[item.pk]
                plans.append((amounts, credits))
            before_aging = _aged(customer)
            for amounts, credits in plans:
                dispute = dispute_open(
                    actor=manager,
                    customer=customer,
                    invoice_ids=list(amounts),
                    reason_code="pricing",
                    amounts=amounts,
                )
                given_credit = {pk: amount for pk, amount in credits.items() if amount > 0}
                credited = sum(given_credit.values(), Decimal("0.00"))
                if not credited:
                    outcome = DisputeOutcome.NO_CREDIT
                elif credited == sum(amounts.values(), Decimal("0.00")):
                    outcome = DisputeOutcome.CREDIT_ISSUED
                else:
                    outcome = DisputeOutcome.PARTIAL_CREDIT
                dispute_resolve(
                    actor=manager,
                    dispute=dispute,
                    resolution="agreed with the customer",
                    outcome=outcome,
                    credits=given_credit or None,
                )
                total_credit += sum(given_credit.values(), Decimal("0.00"))

            assert ledger_discrepancies() == []
            assert dict(Invoice.objects.values_list("pk", "open_amount")) == expected
            memos = CreditMemo.objects.filter(customer=customer)
            assert sum((m.amount for m in memos), Decimal("0.00")) == total_credit
            assert all(m.unapplied_amount == 0 for m in memos)
            assert before_aging - _aged(customer) == total_credit
            raise _Undo
    except _Undo:
        pass
