"""Interest and compensation lines are written with their own currency's places (JPY
none) in the letter's language, like every other amount on the letter (issue 11)."""

import datetime
from decimal import Decimal

from django.utils import translation

from dunning.documents import letter_charges


def _line(number, currency, interest, compensation="0"):
    return {
        "number": number,
        "currency": currency,
        "days_past_due": 45,
        "issue_date": datetime.date(2026, 1, 1),
        "due_date": datetime.date(2026, 1, 31),
        "open_amount": Decimal("100"),
        "interest_rate": Decimal("10.15"),
        "interest_amount": Decimal(interest),
        "compensation_amount": Decimal(compensation),
    }


def test_interest_in_yen_has_no_decimals_and_euros_have_two():
    lines = [
        _line("JP-1", "JPY", "1234", "6480"),
        _line("JP-2", "JPY", "66", "6480"),
        _line("EU-1", "EUR", "12.5", "40.00"),
    ]

    charges = letter_charges(lines)

    assert [(i["number"], i["amount"]) for i in charges["interest"]] == [
        ("JP-1", "1,234"),
        ("JP-2", "66"),
        ("EU-1", "12.50"),
    ]
    assert charges["interest_totals"] == [
        {"currency": "EUR", "total": "12.50"},
        {"currency": "JPY", "total": "1,300"},
    ]
    # the compensation in each line's own currency (converted when the run was built)
    assert charges["compensation"] == [
        {"count": 1, "per_invoice": "40.00", "total": "40.00", "currency": "EUR"},
        {"count": 2, "per_invoice": "6,480", "total": "12,960", "currency": "JPY"},
    ]


def test_the_letters_language_writes_the_separators():
    with translation.override("de"):
        charges = letter_charges([_line("JP-1", "JPY", "1234567"), _line("E", "EUR", "9.9", "40")])

    assert [i["amount"] for i in charges["interest"]] == ["1.234.567", "9,90"]
    assert [c["total"] for c in charges["compensation"]] == ["40,00"]
