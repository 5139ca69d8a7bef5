"""Cash collected vs the monthly target, prorated over the dashboard's period."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError

from reporting.dashboard import cash_progress, cash_target
from reporting.models import CashTarget

pytestmark = pytest.mark.django_db


def test_a_whole_month_takes_its_whole_target():
    CashTarget.objects.create(month=datetime.date(2026, 3, 1), amount=Decimal("31000.00"))

    assert cash_target(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)) == Decimal("31000.00")


def test_a_period_across_two_months_takes_each_months_share_of_days():
    CashTarget.objects.create(month=datetime.date(2026, 2, 1), amount=Decimal("28000.00"))
    CashTarget.objects.create(month=datetime.date(2026, 3, 1), amount=Decimal("10000.00"))
    CashTarget.objects.create(month=datetime.date(2026, 4, 1), amount=Decimal("99999.00"))

    # Feb 15-28: 14/28 of 28,000; Mar 1-10: 10/31 of 10,000 = 3,225.806...
    target = cash_target(datetime.date(2026, 2, 15), datetime.date(2026, 3, 10))

    assert target == Decimal("17225.81")


def test_no_target_in_the_period_is_none_and_gives_no_progress():
    CashTarget.objects.create(month=datetime.date(2026, 1, 1), amount=Decimal("5000.00"))

    target = cash_target(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))

    assert (target, cash_progress(Decimal("100.00"), target)) == (None, None)


def test_progress_is_collected_over_target_in_percent_to_two_places():
    assert cash_progress(Decimal("2000.00"), Decimal("3000.00")) == Decimal("66.67")


def test_a_target_must_start_on_the_first_of_a_month():
    with pytest.raises(IntegrityError):
        CashTarget.objects.create(month=datetime.date(2026, 3, 2), amount=Decimal("1.00"))
