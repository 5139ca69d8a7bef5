"""Aging as of any date: buckets, FX, the ledger rebuilt for past dates, grouping, reach."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.fx import ReportError
from accounts.models import Currency, Customer
from invoices import services
from invoices.models import Application
from invoices.services.allocations import Allocation
from reporting.aging import AgingQuery, aging, detail_page
from reporting.selectors import AgingFilters, aging_query_for
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 6, 30)


def _aging(as_of=AS_OF, grouping="customer", **kw):
    return aging(AgingQuery(customers=Customer.objects.all(), as_of=as_of, **kw), grouping=grouping)


def _due_days_ago(customer, days, amount="100.00", number=None):
    due = AS_OF - datetime.timedelta(days=days)
    return invoice(
        customer, amount, number=number, issue_date=due - datetime.timedelta(days=30), due_days=30
    )


def test_bucket_edges_put_day_30_in_1_30_and_day_31_in_31_60():
    customer = CustomerFactory()
    for days, amount in [
        (0, "1.00"),
        (1, "2.00"),
        (30, "4.00"),
        (31, "8.00"),
        (60, "16.00"),
        (61, "32.00"),
        (90, "64.00"),
        (91, "128.00"),
        (120, "256.00"),
        (121, "512.00"),
        (-5, "1024.00"),
    ]:
        _due_days_ago(customer, days, amount)

    report = _aging()

    assert report.buckets == {
        "current": Decimal("1025.00"),
        "1_30": Decimal("6.00"),
        "31_60": Decimal("24.00"),
        "61_90": Decimal("96.00"),
        "91_120": Decimal("384.00"),
        "over_120": Decimal("512.00"),
    }
    assert report.total == Decimal("2047.00")
    assert report.currency == "USD"


def test_invoice_basis_ages_from_the_issue_date():
    customer = CustomerFactory()
    invoice(customer, "50.00", issue_date=AS_OF - datetime.timedelta(days=45), due_days=30)

    by_due = _aging(basis="due")
    by_invoice = _aging(basis="invoice")

    assert by_due.buckets["1_30"] == Decimal("50.00")
    assert by_invoice.buckets["31_60"] == Decimal("50.00")


def test_foreign_items_are_converted_at_the_rate_in_force_on_as_of(eur_rates):
    customer = CustomerFactory(currency=Currency.objects.get(code="EUR"))
    invoice(customer, "100.00", issue_date=datetime.date(2026, 1, 10))

    in_february = _aging(as_of=datetime.date(2026, 2, 28))
    in_march = _aging(as_of=datetime.date(2026, 3, 1))

    assert in_february.total == Decimal("110.00")
    assert in_march.total == Decimal("120.00")
    assert in_march.rows[0].original == {"EUR": Decimal("100.00")}


def test_inverse_rate_converts_when_only_the_reporting_currency_is_quoted(db):
    from accounts.models import ExchangeRate

    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="GBP",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("0.80"),
    )
    customer = CustomerFactory(currency=Currency.objects.get(code="GBP"))
    invoice(customer, "80.00", issue_date=datetime.date(2026, 1, 10))

    assert _aging(as_of=datetime.date(2026, 2, 1)).total == Decimal("100.00")


def test_a_currency_without_a_rate_refuses_the_report_instead_of_dropping_it():
    customer = CustomerFactory(currency=Currency.objects.get(code="CAD"))
    invoice(customer, "80.00", issue_date=datetime.date(2026, 1, 10))

    with pytest.raises(ReportError, match="CAD"):
        _aging(as_of=datetime.date(2026, 2, 1))


def test_past_as_of_rebuilds_the_balance_from_applications_and_reversals():
    customer = CustomerFactory()
    inv = invoice(customer, "1000.00", issue_date=datetime.date(2026, 1, 1), due_days=30)
    cash = payment(customer, "600.00", received_date=datetime.date(2026, 2, 10))
    services.payment_apply(
        actor=None,
        payment=cash,
        allocations=[Allocation(invoice_id=inv.pk, amount=Decimal("600.00"))],
        effective_date=datetime.date(2026, 2, 10),
    )
    services.application_reverse(
        actor=None,
        application=Application.objects.get(invoice=inv),
        effective_date=datetime.date(2026, 3, 5),
    )
    services.invoice_adjust(
        actor=None,
        invoice=inv,
        kind="write_off",
        amount="100.00",
        reason="goodwill",
        effective_date=datetime.date(2026, 4, 1),
    )

    assert _aging(as_of=datetime.date(2025, 12, 31)).total == Decimal("0.00")
    assert _aging(as_of=datetime.date(2026, 1, 31)).buckets["current"] == Decimal("1000.00")
    assert _aging(as_of=datetime.date(2026, 2, 10)).buckets["1_30"] == Decimal("400.00")
    assert _aging(as_of=datetime.date(2026, 3, 4)).buckets["31_60"] == Decimal("400.00")
    assert _aging(as_of=datetime.date(2026, 3, 5)).buckets["31_60"] == Decimal("1000.00")
    assert _aging(as_of=datetime.date(2026, 4, 1)).buckets["31_60"] == Decimal("900.00")
    assert _aging(as_of=datetime.date(2026, 4, 2)).buckets["61_90"] == Decimal("900.00")


def test_an_invoice_issued_after_as_of_is_not_counted():
    customer = CustomerFactory()
    invoice(customer, "70.00", issue_date=datetime.date(2026, 7, 1))

    assert _aging(as_of=datetime.date(2026, 6, 30)).rows == []


def test_grouping_by_collector_currency_and_parent(eur_rates):
    alice = user_in_role(roles.COLLECTOR, "alice")
    parent = CustomerFactory(name="Parent Co", assigned_collector=alice)
    child = CustomerFactory(name="Child Co", parent=parent)
    euro = CustomerFactory(name="Euro Co", currency=Currency.objects.get(code="EUR"))
    invoice(parent, "10.00", issue_date=datetime.date(2026, 6, 1))
    invoice(child, "20.00", issue_date=datetime.date(2026, 6, 1))
    invoice(euro, "100.00", issue_date=datetime.date(2026, 6, 1))

    by_collector = {r.label: r.total for r in _aging(grouping="collector").rows}
    by_currency = {r.label: (r.total, r.original) for r in _aging(grouping="currency").rows}
    by_parent = {r.label: r.total for r in _aging(grouping="parent").rows}

    assert by_collector == {"alice": Decimal("10.00"), "Unassigned": Decimal("140.00")}
    assert by_currency == {
        "EUR": (Decimal("120.00"), {"EUR": Decimal("100.00")}),
        "USD": (Decimal("30.00"), {"USD": Decimal("30.00")}),
    }
    assert by_parent == {"Parent Co": Decimal("30.00"), "Euro Co": Decimal("120.00")}


def test_collector_never_sees_another_portfolio_in_the_aging():
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    invoice(CustomerFactory(name="Alice Co", assigned_collector=alice), "10.00")
    invoice(CustomerFactory(name="Bob Co", assigned_collector=bob), "20.00")

    report = aging(aging_query_for(alice, AgingFilters(as_of=AS_OF)))
    count, items = detail_page(
        aging_query_for(alice, AgingFilters(as_of=AS_OF)), offset=0, limit=50
    )

    assert [r.label for r in report.rows] == ["Alice Co"]
    assert report.total == Decimal("10.00")
    assert count == 1
    assert [i["customer_name"] for i in items] == ["Alice Co"]


def test_filters_by_collector_currency_and_customer(eur_rates):
    finance = user_in_role(roles.FINANCE, "fin")
    alice = user_in_role(roles.COLLECTOR, "alice")
    mine = CustomerFactory(name="Alice Co", assigned_collector=alice)
    other = CustomerFactory(name="Other Co")
    euro = CustomerFactory(name="Euro Co", currency=Currency.objects.get(code="EUR"))
    invoice(mine, "10.00")
    invoice(other, "20.00")
    invoice(euro, "100.00")

    def total(**kw):
        return aging(aging_query_for(finance, AgingFilters(as_of=AS_OF, **kw))).total

    assert total() == Decimal("150.00")
    assert total(collector=alice.pk) == Decimal("10.00")
    assert total(currency="EUR") == Decimal("120.00")
    assert total(customer=other.pk) == Decimal("20.00")


def test_detail_lists_each_open_item_with_days_and_last_activity():
    customer = CustomerFactory(name="Acme")
    inv = invoice(customer, "300.00", number="INV-9", issue_date=datetime.date(2026, 4, 1))
    payment(
        customer,
        "100.00",
        received_date=datetime.date(2026, 5, 20),
        allocations=[Allocation(invoice_id=inv.pk, amount=Decimal("100.00"))],
    )

    count, items = detail_page(
        AgingQuery(customers=Customer.objects.all(), as_of=AS_OF), offset=0, limit=10
    )

    assert count == 1
    item = items[0]
    assert (item["number"], item["days"], item["bucket"]) == ("INV-9", 60, "31_60")
    assert (item["open_amount"], item["amount"]) == (Decimal("200.00"), Decimal("200.00"))
    assert item["last_activity"] == datetime.date(2026, 5, 20)


def test_aging_runs_one_query_whatever_the_number_of_customers():
    for n in range(3):
        invoice(CustomerFactory(), "10.00", number=f"A{n}")

    def count():
        with CaptureQueriesContext(connection) as captured:
            _aging()
        return len(captured.captured_queries)

    few = count()
    for n in range(30):
        invoice(CustomerFactory(), "10.00", number=f"B{n}")

    assert count() == few
