"""Level selection and skip rules on plain data (dunning/levels.py)."""

import datetime
from decimal import Decimal

import pytest

from dunning.levels import (
    CustomerFacts,
    InvoiceFacts,
    LevelRule,
    decide,
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


LEVELS = [rule(1, 1), rule(2, 15, gap=7), rule(3, 30, "letter", gap=7), rule(4, 60, "letter")]
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


@pytest.mark.parametrize(("days", "level"), [(0, None), (1, 1), (14, 1), (15, 2), (30, 3)])
def test_a_fresh_invoice_is_dunned_at_the_level_of_its_day(days, level):
    decision = decide(customer=CUSTOMER, invoices=[inv(days)], levels=LEVELS, as_of=AS_OF)
    assert (decision.level.number if decision.sends else None) == level


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
    decision = decide(customer=facts, invoices=[inv(30)], levels=LEVELS, as_of=AS_OF)
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
