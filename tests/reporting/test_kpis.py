"""KPI formulas against the published examples, and the live inputs behind them."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Customer
from reporting.kpis import (
    KpiInputs,
    best_possible_dso,
    cei,
    countback_dso,
    countback_months,
    dso,
    inputs_live,
    kpis_from_inputs,
    months_in,
    rounded,
)
from tests.factories import CustomerFactory, invoice

D = Decimal


def test_dso_of_the_published_example_is_45_days():
    # creditguru.com: AR 15,000, credit sales 10,000 over 30 days
    assert rounded(dso(D("15000"), D("10000"), 30)) == D("45.00")


def test_best_possible_dso_of_the_published_example_is_12_and_add_is_33():
    best = best_possible_dso(D("4000"), D("10000"), 30)
    assert rounded(best) == D("12.00")
    assert rounded(dso(D("15000"), D("10000"), 30) - best) == D("33.00")


def test_cei_of_the_published_example_is_55_9_with_three_months():
    # creditguru.com: beginning AR 6,200, sales 10,890 over 3 months, ending AR 6,340,
    # ending current 3,590
    value = cei(D("6200"), D("10890"), D("6340"), D("3590"), 3)
    assert value.quantize(D("0.1")) == D("55.9")
    assert rounded(value) == D("55.93")


def test_countback_dso_of_the_published_example_is_73_71_days():
    # benjipays.com: AR 212,000; three 30-day months of sales 100,000 / 80,000 / 70,000
    months = [(D("100000"), 30), (D("80000"), 30), (D("70000"), 30)]
    assert rounded(countback_dso(D("212000"), months)) == D("73.71")


def test_countback_stops_at_a_month_without_sales():
    months = [(D("100"), 30), (D("0"), 31), (D("500"), 30)]
    assert countback_dso(D("250"), months) == D("30")


def test_countback_looks_back_at_most_24_months():
    months = [(D("1"), 30)] * 30
    assert countback_dso(D("1000"), months) == D(24 * 30)


def test_cei_uses_n_months_rounded_from_days_over_30_4():
    assert [months_in(d) for d in (1, 30, 45, 46, 91, 365)] == [1, 1, 1, 2, 3, 12]


def test_countback_months_count_the_end_month_up_to_end():
    months = countback_months(
        datetime.date(2026, 3, 10), {(2026, 3): D("5"), (2026, 2): D("7"), (2026, 1): D("9")}
    )
    assert months[:4] == ((D("5"), 10), (D("7"), 28), (D("9"), 31), (D("0.00"), 31))


def test_kpis_from_inputs_reproduce_dso_best_possible_and_add_together():
    inputs = KpiInputs(
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 4, 30),
        ar_before=D("6200"),
        ar_end=D("15000"),
        current_end=D("4000"),
        over_90_end=D("1500"),
        sales=D("10000"),
        months=((D("10000"), 30),),
        cash_collected=D("0"),
    )
    figures = {k: rounded(v) for k, v in kpis_from_inputs(inputs).items()}
    assert figures == {
        "dso": D("45.00"),
        "countback_dso": D("30.00"),
        "best_possible_dso": D("12.00"),
        "add": D("33.00"),
        "cei": D("9.84"),  # (6200 + 10000 - 15000) / (6200 + 10000 - 4000)
        "over_90_pct": D("10.00"),
    }


@pytest.mark.django_db
def test_live_inputs_read_ar_and_sales_from_the_ledger():
    customer = CustomerFactory()
    invoice(customer, "1000.00", issue_date=datetime.date(2026, 1, 15), due_days=30)
    invoice(customer, "400.00", issue_date=datetime.date(2026, 3, 20), due_days=30)
    invoice(customer, "600.00", issue_date=datetime.date(2026, 3, 5), due_days=10)

    inputs = inputs_live(
        Customer.objects.all(), datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
    )

    assert inputs.days == 31
    assert inputs.ar_before == D("1000.00")
    assert inputs.ar_end == D("2000.00")
    assert inputs.current_end == D("400.00")
    assert inputs.over_90_end == D("0.00")
    assert inputs.sales == D("1000.00")
    assert inputs.months[:3] == ((D("1000.00"), 31), (D("0.00"), 28), (D("1000.00"), 31))
    figures = kpis_from_inputs(inputs)
    assert rounded(figures["dso"]) == D("62.00")
    assert rounded(figures["best_possible_dso"]) == D("12.40")
    assert rounded(figures["countback_dso"]) == D("31.00")
