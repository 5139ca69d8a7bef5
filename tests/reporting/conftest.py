import datetime
from decimal import Decimal

import pytest

from accounts.models import ExchangeRate


@pytest.fixture
def eur_rates(db):
    """EUR is worth 1.10 USD from Jan 1 and 1.20 USD from Mar 1, 2026."""
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.10"),
    )
    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 3, 1),
        rate=Decimal("1.20"),
    )
