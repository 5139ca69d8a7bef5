"""Exposure: open invoices + open orders (none yet) - unapplied cash and credit memos, over
the customer's whole tree of child accounts, in the customer's currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import Currency, ExchangeRate
from credit.exposure import exposure_for, exposures_for
from invoices import services as ledger
from tests.factories import CustomerFactory, invoice, payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """head ─┬─ middle ── leaf (EUR)
             └─ sibling
    and an unrelated customer whose money must never be counted."""
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.10"),
    )
    head = CustomerFactory(external_ref="HEAD", credit_limit=Decimal("5000.00"))
    middle = CustomerFactory(external_ref="MID", parent=head, credit_limit=Decimal("2000.00"))
    leaf = CustomerFactory(
        external_ref="LEAF",
        parent=middle,
        currency=Currency.objects.get(code="EUR"),
        credit_limit=Decimal("0"),
    )
    sibling = CustomerFactory(external_ref="SIB", parent=head)
    stranger = CustomerFactory(external_ref="OTHER")

    invoice(head, "1000.00")
    invoice(middle, "2000.00")
    invoice(leaf, "500.00")  # 550.00 USD at 1.10
    invoice(sibling, "300.00")
    paid = invoice(sibling, "700.00")
    payment(
        sibling,
        "700.00",
        allocations=[ledger.Allocation(invoice_id=paid.pk, amount=Decimal("700.00"))],
    )
    payment(middle, "400.00")  # unapplied cash
    ledger.credit_memo_issue(
        actor=None,
        customer=sibling,
        number="CM-1",
        issue_date=datetime.date(2026, 2, 1),
        amount="100.00",
        reason="Returned goods",
    )
    invoice(stranger, "9999.00")
    payment(stranger, "50.00")
    return {"head": head, "middle": middle, "leaf": leaf, "sibling": sibling}


def test_the_exposure_rolls_up_over_a_three_level_tree(tree):
    head = exposure_for(tree["head"])

    assert head.accounts == 4
    assert head.open_ar == Decimal("3850.00")  # 1000 + 2000 + 550 + 300
    assert head.open_orders == Decimal("0.00")
    assert head.unapplied_credits == Decimal("500.00")  # 400 cash + 100 memo
    assert head.total == Decimal("3350.00")
    assert head.available == Decimal("1650.00")
    assert head.used_pct == 67
    assert (head.over_limit, head.missing_rates) == (False, [])


def test_a_middle_account_counts_itself_and_the_accounts_below_it_only(tree):
    middle = exposure_for(tree["middle"])

    assert (middle.accounts, middle.open_ar, middle.unapplied_credits, middle.total) == (
        2,
        Decimal("2550.00"),
        Decimal("400.00"),
        Decimal("2150.00"),
    )
    assert middle.over_limit is True


def test_a_leaf_is_in_its_own_currency_and_has_no_limit_in_use(tree):
    leaf = exposure_for(tree["leaf"])

    assert (leaf.currency, leaf.accounts, leaf.total, leaf.used_pct) == (
        "EUR",
        1,
        Decimal("500.00"),
        None,
    )


def test_an_amount_with_no_rate_is_flagged_and_left_out_never_one_to_one(tree):
    invoice(tree["leaf"], "80.00", currency="GBP")

    head = exposure_for(tree["head"])

    assert head.missing_rates == ["GBP"]
    assert head.open_ar == Decimal("3850.00")


def test_the_set_based_exposure_matches_one_by_one_in_two_queries(tree, django_assert_num_queries):
    customers = list(tree.values())

    with django_assert_num_queries(2):
        many = exposures_for(customers)
    with django_assert_num_queries(2):
        exposures_for(customers[:1])

    for customer in customers:
        one = exposure_for(customer)
        assert (many[customer.pk].total, many[customer.pk].accounts) == (one.total, one.accounts)


def test_a_customer_with_nothing_open_has_zero_exposure(db):
    alone = CustomerFactory(credit_limit=Decimal("100.00"))

    exposure = exposure_for(alone)

    assert (exposure.accounts, exposure.total, exposure.available) == (
        1,
        Decimal("0.00"),
        Decimal("100.00"),
    )


def test_a_payment_the_bank_returned_no_longer_lowers_the_exposure():
    customer = CustomerFactory(credit_limit=Decimal("1000.00"))
    invoice(customer, "600.00")
    bounced = payment(customer, "200.00")
    assert exposure_for(customer).total == Decimal("400.00")

    ledger.payment_void(
        actor=None, payment=bounced, return_date=datetime.date(2026, 2, 5), reason="NSF"
    )

    assert exposure_for(customer).total == Decimal("600.00")
