"""On random ledgers the aging, as of any date, reconciles exactly to the ledger.

Random invoices (two currencies), payments applied at random later dates, reversals and
write-offs are posted through the ledger services; then for random dates (past ones
included) every bucket and the total must equal a plain sum over the ledger rows —
amount less the applications and adjustments effective on or before that date,
converted item by item at the rate in force that day. Both SQL forms are checked: the
bounded one (stored balances read through the movement-date bounds) and the textbook one.
"""

import contextlib
import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.buckets import BUCKETS
from accounts.errors import ServiceError
from accounts.models import Currency, Customer, ExchangeRate
from invoices import services
from invoices.models import Adjustment, Application, Invoice
from invoices.selectors import ledger_discrepancies
from reporting.aging import AgingQuery, aging, detail_page
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

DAY_0 = datetime.date(2026, 1, 1)
RATES = [(DAY_0, Decimal("1.1000")), (DAY_0 + datetime.timedelta(days=40), Decimal("1.2345"))]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900.00"), places=2)
day = st.integers(min_value=0, max_value=120)
invoices_st = st.lists(
    st.tuples(st.booleans(), money, day, st.integers(min_value=0, max_value=60)),
    min_size=1,
    max_size=8,
)
payments_st = st.lists(
    st.tuples(st.booleans(), money, day, st.integers(min_value=0, max_value=20)), max_size=6
)
reversals_st = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 30)), max_size=3)
adjustments_st = st.lists(st.tuples(st.integers(0, 50), money, day), max_size=3)
as_of_st = st.lists(st.integers(min_value=-5, max_value=200), min_size=1, max_size=4)


def _bucket(days: int) -> str:
    for limit, name in [(0, "current"), (30, "1_30"), (60, "31_60"), (90, "61_90")]:
        if days <= limit:
            return name
    return "91_120" if days <= 120 else "over_120"


def _rate(currency: str, on: datetime.date) -> Decimal:
    if currency == "USD":
        return Decimal(1)
    return [rate for start, rate in RATES if start <= on][-1]


def _expected(as_of: datetime.date) -> dict[str, Decimal]:
    """The textbook sum, item by item over the ledger rows, in Python."""
    buckets = dict.fromkeys(BUCKETS, Decimal("0.00"))
    for inv in Invoice.objects.filter(issue_date__lte=as_of):
        applied = sum(
            (a.amount for a in Application.objects.filter(invoice=inv, effective_date__lte=as_of)),
            Decimal(0),
        )
        adjusted = sum(
            (a.amount for a in Adjustment.objects.filter(invoice=inv, effective_date__lte=as_of)),
            Decimal(0),
        )
        open_amount = inv.amount - applied - adjusted
        if open_amount > 0:
            converted = (open_amount * _rate(inv.currency_id, as_of)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            buckets[_bucket((as_of - inv.due_date).days)] += converted
    return buckets


def _post_ledger(invoices, payments, reversals, adjustments):
    usd = CustomerFactory(name="Dollar Co")
    eur = CustomerFactory(name="Euro Co", currency=Currency.objects.get(code="EUR"))
    for n, (in_euro, amount, issued, net) in enumerate(invoices):
        issue = DAY_0 + datetime.timedelta(days=issued)
        services.invoice_create(
            actor=None,
            customer=eur if in_euro else usd,
            number=f"R-{n}",
            issue_date=issue,
            due_date=issue + datetime.timedelta(days=net),
            amount=amount,
            currency="EUR" if in_euro else "USD",
        )
    for n, (in_euro, amount, received, delay) in enumerate(payments):
        cash = services.payment_post(
            actor=None,
            customer=eur if in_euro else usd,
            reference=f"P-{n}",
            received_date=DAY_0 + datetime.timedelta(days=received),
            amount=amount,
        )
        with contextlib.suppress(ServiceError):  # nothing open: the cash stays unapplied
            services.payment_apply_oldest_first(
                actor=None,
                payment=cash,
                effective_date=cash.received_date + datetime.timedelta(days=delay),
            )
    applications = list(Application.objects.order_by("id"))
    for index, delay in reversals:
        if applications:
            original = applications[index % len(applications)]
            with contextlib.suppress(ServiceError):  # already reversed
                services.application_reverse(
                    actor=None,
                    application=original,
                    effective_date=original.effective_date + datetime.timedelta(days=delay),
                )
    invoices_by_id = list(Invoice.objects.order_by("id"))
    for index, amount, when in adjustments:
        target = invoices_by_id[index % len(invoices_by_id)]
        target.refresh_from_db()
        if target.open_amount > 0:
            services.invoice_adjust(
                actor=None,
                invoice=target,
                kind="write_off",
                amount=min(amount, target.open_amount),
                reason="test",
                # never before the invoice was issued (the service refuses that)
                effective_date=max(DAY_0 + datetime.timedelta(days=when), target.issue_date),
            )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(invoices_st, payments_st, reversals_st, adjustments_st, as_of_st)
def test_aging_totals_reconcile_to_the_ledger_on_random_ledgers(
    invoices, payments, reversals, adjustments, as_of_days
):
    with transaction.atomic():
        for start, rate in RATES:
            ExchangeRate.objects.create(
                currency_id="EUR", quote_currency_id="USD", valid_from=start, rate=rate
            )
        _post_ledger(invoices, payments, reversals, adjustments)
        assert ledger_discrepancies() == []  # balances and movement-date bounds alike
        for offset in as_of_days:
            as_of = DAY_0 + datetime.timedelta(days=offset)
            expected = _expected(as_of)
            for method in (None, "forward"):
                report = aging(
                    AgingQuery(customers=Customer.objects.all(), as_of=as_of, method=method)
                )
                assert report.buckets == expected, (as_of, method)
                assert report.total == sum(expected.values(), Decimal("0.00"))
                assert sum((row.total for row in report.rows), Decimal("0.00")) == report.total
        transaction.set_rollback(True)


def _day(n: int) -> datetime.date:
    return DAY_0 + datetime.timedelta(days=n)


def _pay(customer, reference, target, amount, received):
    return services.payment_post(
        actor=None,
        customer=customer,
        reference=reference,
        received_date=_day(received),
        amount=amount,
        allocations=[services.Allocation(invoice_id=target.pk, amount=Decimal(amount))],
    )


def test_the_bounded_form_reads_each_invoice_through_its_movement_dates():
    customer = CustomerFactory(name="Bounds Co")

    def issue(number, amount, issued=0):
        return services.invoice_create(
            actor=None,
            customer=customer,
            number=number,
            issue_date=_day(issued),
            due_date=_day(issued + 10),
            amount=amount,
        )

    settled_before = issue("A", "100.00")  # last movement before as_of: stored balance, 0
    _pay(customer, "P-A", settled_before, "100.00", 10)
    straddling = issue("B", "200.00")  # moved before and after as_of: summed
    _pay(customer, "P-B1", straddling, "50.00", 5)
    _pay(customer, "P-B2", straddling, "150.00", 30)
    settled_after = issue("C", "300.00")  # first movement after as_of: the amount
    _pay(customer, "P-C", settled_after, "300.00", 40)
    reversed_after = issue("D", "400.00")  # paid before, reversed after: 0 then
    _pay(customer, "P-D", reversed_after, "400.00", 8)
    services.application_reverse(
        actor=None,
        application=Application.objects.get(invoice=reversed_after),
        effective_date=_day(25),
    )
    back_dated = issue("E", "500.00")  # written off after, then a credit back-dated before
    services.invoice_adjust(
        actor=None,
        invoice=back_dated,
        kind="write_off",
        amount="100.00",
        reason="test",
        effective_date=_day(50),
    )
    services.credit_memo_issue(
        actor=None,
        customer=customer,
        number="CM-E",
        issue_date=_day(3),
        amount="400.00",
        reason="test",
        allocations=[services.Allocation(invoice_id=back_dated.pk, amount=Decimal("400.00"))],
    )
    issue("F", "60.00", issued=22)  # issued after as_of
    part_paid = issue("G", "70.00")  # open now, last movement before as_of: stored balance
    _pay(customer, "P-G", part_paid, "20.00", 5)
    as_of = _day(20)

    bounded = AgingQuery(customers=Customer.objects.all(), as_of=as_of)
    count, items = detail_page(bounded, offset=0, limit=50)
    forward = aging(AgingQuery(customers=Customer.objects.all(), as_of=as_of, method="forward"))

    assert {i["number"]: i["open_amount"] for i in items} == {
        "B": Decimal("150.00"),
        "C": Decimal("300.00"),
        "E": Decimal("100.00"),
        "G": Decimal("50.00"),
    }
    assert count == 4
    assert aging(bounded).total == forward.total == Decimal("600.00")
    assert aging(bounded).buckets == _expected(as_of)
