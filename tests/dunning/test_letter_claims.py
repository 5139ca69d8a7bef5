"""What a letter says about earlier letters is true for that customer: it quotes the dates of
the levels really sent (by a run or recorded from earlier history), and says nothing of
reminders that never went out."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from accounts.errors import ServiceError
from accounts.locale_format import format_day
from dunning import services as dunning
from dunning.models import DunningPolicy
from dunning.sending import render
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    days,
    overdue_invoice,
    today,
)
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

CLAIMS = ("Despite our reminder", "We wrote to you", "despite our letter", "earlier reminder")


@pytest.fixture
def manager():
    ensure_dunning_defaults()
    return credit_manager("carla")


@pytest.fixture
def acme():
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St\nTown")
    ContactFactory(customer=customer, name="Ann", email="ap@acme.example", is_primary=True)
    return customer


def history(manager, invoice, *sent_days_ago: int) -> list:
    """Record levels 1, 2, … as sent that many days ago; returns their dates."""
    dates = [today() - days(ago) for ago in sent_days_ago]
    for level, sent_on in enumerate(dates, start=1):
        dunning.invoice_dunning_history_record(
            actor=manager, invoice=invoice, level_number=level, sent_on=sent_on
        )
    return dates


def letter_for(manager, customer):
    run = dunning.dunning_run_start(actor=manager)
    comm = run.communications.select_related("run", "customer", "level", "contact").get(
        customer=customer
    )
    return comm.level.number, render(comm)


def test_a_first_letter_claims_no_earlier_reminder_however_old_the_debt(manager, acme):
    overdue_invoice(acme, "900.00", days_late=300, number="ACME-1")

    level, letter = letter_for(manager, acme)

    assert (level, letter.subject) == (1, "Friendly reminder — Acme Widgets")
    assert not any(claim in letter.html for claim in CLAIMS)


def test_a_level_2_letter_quotes_the_date_of_the_reminder_really_sent(manager, acme):
    invoice = overdue_invoice(acme, "900.00", days_late=40, number="ACME-1")
    (first,) = history(manager, invoice, 25)

    level, letter = letter_for(manager, acme)

    assert level == 2  # 40 days late, but only level 1 was sent: level 2, not 3
    assert (
        f"Despite our reminder of {format_day(first, 'en')}, the invoices below remain unpaid."
        in letter.html
    )


def test_a_level_3_letter_comes_only_after_levels_1_and_2_and_names_both(manager, acme):
    invoice = overdue_invoice(acme, "900.00", days_late=45, number="ACME-1")
    first, second = history(manager, invoice, 40, 20)

    level, letter = letter_for(manager, acme)

    assert (level, letter.subject) == (3, "Final demand for payment — Acme Widgets")
    assert (
        f"We wrote to you about them on {format_day(first, 'en')} and {format_day(second, 'en')}."
        in letter.html
    )


def test_a_pre_agency_notice_names_the_three_letters_before_it(manager, acme):
    invoice = overdue_invoice(acme, "900.00", days_late=90, number="ACME-1")
    dates = history(manager, invoice, 80, 60, 40)

    level, letter = letter_for(manager, acme)

    assert level == 4
    first, second, third = (format_day(d, "en") for d in dates)
    quoted = f"{first}, {second}, and {third}"  # the list as English writes it
    assert (
        f"We have not received payment of the invoices below despite our letters of {quoted}."
        in letter.html
    )


def test_a_catch_up_final_demand_does_not_pretend_reminders_were_sent(manager, acme):
    policy = DunningPolicy.objects.get(is_default=True)
    policy.catch_up = True
    policy.save(update_fields=["catch_up"])
    overdue_invoice(acme, "900.00", days_late=45, number="ACME-1")

    level, letter = letter_for(manager, acme)

    assert level == 3
    assert not any(claim in letter.html for claim in CLAIMS)


def test_the_german_level_2_letter_quotes_the_real_date_too(manager, acme):
    dunning.dunning_policy_assign(actor=manager, customer=acme, policy=None, language="de")
    invoice = overdue_invoice(acme, "900.00", days_late=40, number="ACME-1")
    (first,) = history(manager, invoice, 25)

    level, letter = letter_for(manager, acme)

    assert level == 2
    assert f"trotz unseres Schreibens vom {format_day(first, 'de')} sind" in letter.html


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("de", "trotz unserer Schreiben vom {0}, {1} und {2} sind"),
        ("fr", "malgré nos courriers des {0}, {1} et {2}."),
    ],
)
def test_several_earlier_letters_are_listed_as_the_language_lists_them(
    manager, acme, language, says
):
    dunning.dunning_policy_assign(actor=manager, customer=acme, policy=None, language=language)
    invoice = overdue_invoice(acme, "900.00", days_late=90, number="ACME-1")
    dates = history(manager, invoice, 80, 60, 40)

    level, letter = letter_for(manager, acme)

    assert level == 4
    assert says.format(*(format_day(d, language) for d in dates)) in letter.html


def test_history_is_recorded_one_level_at_a_time_on_dates_that_move_forward(manager, acme):
    invoice = overdue_invoice(acme, "900.00", days_late=40, number="ACME-1")

    with pytest.raises(ServiceError) as skipped:
        dunning.invoice_dunning_history_record(
            actor=manager, invoice=invoice, level_number=2, sent_on=today() - days(5)
        )
    assert skipped.value.field == "level_number"
    history(manager, invoice, 20)
    with pytest.raises(ServiceError) as backwards:
        dunning.invoice_dunning_history_record(
            actor=manager, invoice=invoice, level_number=2, sent_on=today() - days(30)
        )
    assert backwards.value.field == "sent_on"
    assert list(invoice.dunning_steps.values_list("level_number", "source")) == [(1, "imported")]


def test_a_small_balance_is_listed_for_information_and_left_out_of_the_total(manager, acme):
    overdue_invoice(acme, "900.00", days_late=40, number="ACME-1")
    overdue_invoice(acme, "4.95", days_late=310, number="ACME-CRUMB")

    level, letter = letter_for(manager, acme)

    pages = PdfReader(io.BytesIO(letter.pdf)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    body = text.split("Statement of account", 1)[0]
    assert level == 1
    assert "For your information, these small balances are also open: ACME-CRUMB (4.95 USD)." in (
        body
    )
    assert "ACME-CRUMB" not in letter.html  # not in the dunned table
