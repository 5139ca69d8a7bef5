"""Level selection and skip rules on plain data (dunning/levels.py)."""

import datetime
from decimal import Decimal

import pytest

from dunning.levels import (
    CustomerFacts,
    InvoiceFacts,
    LevelRule,
    decide,
    late_interest,
    stop_active,
    target_level,
)
from dunning.models import SkipReason

AS_OF = datetime.date(2026, 11, 22)


def rule(number, days, channel="email", minimum="0", gap=0):
    return LevelRule(
        id=number * 10,
        number=number,
        name=f"L{number}",
        days_past_due=days,
        channel=channel,
        template_code=f"t{number}",
        minimum_overdue_amount=Decimal(minimum),
        minimum_days_since_previous=gap,
        escalation_action="none",
    )


LEVELS = [
    rule(1, 1),
    rule(2, 15, gap=7),
    rule(3, 30, "letter", gap=7),
    rule(4, 60, "letter", gap=14),
]
CUSTOMER = CustomerFacts(1, email="ap@example.com", contact_id=5, postal_address="1 Road\nTown")


def inv(days_late, amount="100.00", currency="USD", level=0, last=None, **kw):
    due = AS_OF - datetime.timedelta(days=days_late)
    return InvoiceFacts(
        id=days_late * 1000 + level,
        number=f"INV-{days_late}-{currency}",
        currency=currency,
        open_amount=Decimal(amount),
        due_date=due,
        level_number=level,
        last_dunned_on=last,
        **kw,
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-3, None), (0, None), (1, 1), (14, 1), (15, 2), (29, 2), (30, 3), (59, 3), (60, 4), (400, 4)],
)
def test_target_level_on_edge_days(days, expected):
    found = target_level(LEVELS, days)
    assert (found.number if found else None) == expected


@pytest.mark.parametrize(("days", "level"), [(0, None), (1, 1), (14, 1), (15, 1), (300, 1)])
def test_a_never_dunned_invoice_starts_at_level_one_however_late_it_is(days, level):
    decision = decide(customer=CUSTOMER, invoices=[inv(days)], levels=LEVELS, as_of=AS_OF)
    assert (decision.level.number if decision.sends else None) == level


@pytest.mark.parametrize(("days", "level"), [(0, None), (1, 1), (14, 1), (15, 2), (30, 3)])
def test_with_catch_up_a_fresh_invoice_starts_at_the_level_of_its_day(days, level):
    decision = decide(
        customer=CUSTOMER, invoices=[inv(days)], levels=LEVELS, as_of=AS_OF, catch_up=True
    )
    assert (decision.level.number if decision.sends else None) == level


@pytest.mark.parametrize(
    ("days", "level", "sent_ago", "expected"),
    [
        (14, 1, 13, None),  # level 2 is not due before day 15
        (15, 1, 6, None),  # day 15, but level 2 needs 7 days since level 1
        (15, 1, 7, 2),
        (200, 1, 100, 2),  # one level up, never two
        (200, 2, 100, 3),
        (200, 3, 13, None),  # level 4 needs 14 days since level 3
        (200, 3, 14, 4),
        (200, 4, 100, None),  # the last level is not sent twice
    ],
)
def test_an_invoice_climbs_one_level_at_a_time(days, level, sent_ago, expected):
    last = AS_OF - datetime.timedelta(days=sent_ago)
    decision = decide(
        customer=CUSTOMER, invoices=[inv(days, level=level, last=last)], levels=LEVELS, as_of=AS_OF
    )
    assert (decision.lines[0].level_number if decision.sends else None) == expected


def test_an_invoice_below_the_level_minimum_neither_moves_nor_drives_the_letter():
    levels = [rule(1, 1, minimum="0"), rule(2, 15, gap=7), rule(3, 30, "letter", gap=7)]
    levels = [
        LevelRule(**{**lv.__dict__, "minimum_invoice_amount": Decimal(m)})
        for lv, m in zip(levels, ["10.00", "10.00", "25.00"], strict=True)
    ]
    long_ago = AS_OF - datetime.timedelta(days=100)
    items = [
        inv(310, "4.95", "GBP", level=0),  # the old crumb: below every minimum
        inv(200, "20.00", level=2, last=long_ago),  # would be level 3, below its 25.00
        inv(5, "300.00"),  # the new invoice that moves
    ]
    decision = decide(
        customer=CUSTOMER,
        invoices=items,
        levels=levels,
        as_of=AS_OF,
        to_policy_currency=lambda code, amount: amount * {"USD": 1, "GBP": Decimal("1.25")}[code],
    )
    assert decision.level.number == 2  # the 20.00 at level 2 qualifies there; nothing at 3
    assert [
        (ln.invoice.open_amount, ln.level_number, ln.informational) for ln in decision.lines
    ] == [
        (Decimal("20.00"), 2, False),
        (Decimal("300.00"), 1, False),
        (Decimal("4.95"), 0, True),
    ]
    assert decision.totals() == {"USD": Decimal("320.00")}
    assert {(s.reason, s.invoice_id) for s in decision.skips} == {
        (SkipReason.BELOW_MINIMUM, items[0].id),
        (SkipReason.BELOW_MINIMUM, items[1].id),
    }


def test_a_small_balance_alone_sends_nothing():
    levels = [LevelRule(**{**rule(1, 1).__dict__, "minimum_invoice_amount": Decimal("10.00")})]
    decision = decide(customer=CUSTOMER, invoices=[inv(310, "4.95")], levels=levels, as_of=AS_OF)
    assert not decision.sends
    assert [s.reason for s in decision.skips] == [SkipReason.BELOW_MINIMUM]


def test_an_invoice_without_a_rate_is_flagged_never_taken_one_to_one():
    levels = [LevelRule(**{**rule(1, 1).__dict__, "minimum_invoice_amount": Decimal("10.00")})]
    decision = decide(
        customer=CUSTOMER,
        invoices=[inv(3, "5000.00", "JPY")],
        levels=levels,
        as_of=AS_OF,
        to_policy_currency=lambda code, amount: None,
    )
    assert not decision.sends
    assert [s.reason for s in decision.skips] == [SkipReason.NO_RATE]


def test_a_customer_whose_only_overdue_invoices_are_disputed_is_skipped_once():
    decision = decide(
        customer=CUSTOMER,
        invoices=[inv(20, disputed=True), inv(40, disputed=True)],
        levels=LEVELS,
        as_of=AS_OF,
    )
    assert not decision.sends
    assert [(s.reason, s.invoice_id) for s in decision.skips] == [(SkipReason.DISPUTED, None)]


@pytest.mark.parametrize(
    ("amount", "percent", "days", "places", "expected"),
    [
        ("1000.00", "10.15", 30, 2, "8.34"),  # 1000 * 10.15% * 30/365 = 8.3424
        ("1000.00", "10.15", 365, 2, "101.50"),
        ("250000", "10.15", 45, 0, "3128"),  # JPY: no minor unit
        ("1000.00", "10.15", 0, 2, "0.00"),
    ],
)
def test_late_interest_is_simple_actual_over_365_rounded_to_the_minor_unit(
    amount, percent, days, places, expected
):
    assert late_interest(Decimal(amount), Decimal(percent), days, places) == Decimal(expected)


def test_an_invoice_at_its_level_already_sends_nothing():
    decision = decide(
        customer=CUSTOMER, invoices=[inv(14, level=1, last=AS_OF)], levels=LEVELS, as_of=AS_OF
    )
    assert not decision.sends and decision.skips == []


def test_one_communication_covers_every_overdue_invoice_at_the_highest_level_by_currency():
    items = [
        inv(16, "50.00", level=1, last=AS_OF - datetime.timedelta(days=10)),  # moves to 2
        inv(3, "70.00", "EUR"),  # moves to 1
        inv(5, "20.00", level=1, last=AS_OF - datetime.timedelta(days=2)),  # stays at 1
        inv(0, "999.00"),  # not overdue: not in the letter
    ]
    decision = decide(customer=CUSTOMER, invoices=items, levels=LEVELS, as_of=AS_OF)
    assert decision.level.number == 2
    assert [(ln.invoice.currency, ln.level_number) for ln in decision.lines] == [
        ("EUR", 1),
        ("USD", 2),
        ("USD", 1),
    ]
    assert decision.totals() == {"EUR": Decimal("70.00"), "USD": Decimal("70.00")}


def test_minimum_days_since_previous_level_holds_an_invoice_back():
    last = AS_OF - datetime.timedelta(days=3)
    decision = decide(
        customer=CUSTOMER, invoices=[inv(15, level=1, last=last)], levels=LEVELS, as_of=AS_OF
    )
    assert not decision.sends
    assert [s.reason for s in decision.skips] == [SkipReason.TOO_SOON]


def test_disputed_and_stopped_invoices_are_left_out_and_named():
    items = [
        inv(20, disputed=True),
        inv(21, stop_until=AS_OF, stop_reason="credit note coming"),
        inv(2, "40.00"),
    ]
    decision = decide(customer=CUSTOMER, invoices=items, levels=LEVELS, as_of=AS_OF)
    assert decision.level.number == 1
    assert [ln.days_past_due for ln in decision.lines] == [2]
    assert {s.reason for s in decision.skips} == {SkipReason.DISPUTED, SkipReason.INVOICE_STOP}


def test_a_stop_lapses_the_day_after_its_end_date():
    assert stop_active(AS_OF, AS_OF)
    assert not stop_active(AS_OF - datetime.timedelta(days=1), AS_OF)
    assert not stop_active(None, AS_OF)
    expired = CustomerFacts(
        1, email="a@b.c", stop_until=AS_OF - datetime.timedelta(days=1), stop_reason="x"
    )
    assert decide(customer=expired, invoices=[inv(2)], levels=LEVELS, as_of=AS_OF).sends


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (CustomerFacts(1, do_not_contact=True, email="a@b.c"), SkipReason.DO_NOT_CONTACT),
        (
            CustomerFacts(1, stop_until=AS_OF, stop_reason="legal", email="a@b.c"),
            SkipReason.CUSTOMER_STOP,
        ),
        (CustomerFacts(1, open_promise=True, email="a@b.c"), SkipReason.PROMISE),
        (CustomerFacts(1, open_plan=True, email="a@b.c"), SkipReason.PAYMENT_PLAN),
        (CustomerFacts(1, in_other_run=True, email="a@b.c"), SkipReason.IN_OTHER_RUN),
        (CustomerFacts(1), SkipReason.NO_ADDRESS),
    ],
)
def test_every_customer_skip_reason(facts, reason):
    decision = decide(customer=facts, invoices=[inv(2)], levels=LEVELS, as_of=AS_OF)
    assert not decision.sends and decision.lines == []
    assert [s.reason for s in decision.skips] == [reason]


def test_a_letter_needs_a_postal_address():
    facts = CustomerFacts(1, email="a@b.c", postal_address="  ")
    at_two = inv(30, level=2, last=AS_OF - datetime.timedelta(days=10))
    decision = decide(customer=facts, invoices=[at_two], levels=LEVELS, as_of=AS_OF)
    assert [s.reason for s in decision.skips] == [SkipReason.NO_ADDRESS]


def test_minimum_overdue_amount_is_compared_in_the_reporting_currency():
    levels = [rule(1, 1, minimum="100.00")]
    rates = {"USD": Decimal(1), "EUR": Decimal("1.10")}

    def convert(code, amount):
        return (amount * rates[code]).quantize(Decimal("0.01")) if code in rates else None

    def run(items):
        return decide(
            customer=CUSTOMER,
            invoices=items,
            levels=levels,
            as_of=AS_OF,
            to_policy_currency=convert,
        )

    assert run([inv(2, "60.00"), inv(3, "36.37", "EUR")]).sends  # 60.00 + 40.01 USD
    short = run([inv(2, "99.99")])
    assert [s.reason for s in short.skips] == [SkipReason.BELOW_MINIMUM]
    no_rate = run([inv(2, "500.00", "JPY")])
    assert [s.reason for s in no_rate.skips] == [SkipReason.NO_RATE]
