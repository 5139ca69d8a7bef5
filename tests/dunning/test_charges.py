"""Late-payment interest (reference rate + 8 points) and the fixed 40 EUR compensation per
invoice (Directive 2011/7/EU): off by default, per policy, shown on the letter as separate
lines and stored on the communication's lines, never posted to the ledger. The compensation
is defined once (settings.DUNNING_COMPENSATION_AMOUNT and _CURRENCY) and shown in each
invoice's currency, converted at the rate in force on the run's day; without a rate it is
left off and the preview says so."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import Currency, ExchangeRate
from dunning import services as dunning
from dunning.models import DunningLine, DunningPolicy, DunningSkip
from dunning.sending import render
from invoices.models import Adjustment, Application, Invoice
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


@pytest.fixture
def manager():
    ensure_dunning_defaults()
    return credit_manager("carla")


@pytest.fixture
def acme():
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St\nTown")
    ContactFactory(customer=customer, name="Ann", email="ap@acme.example", is_primary=True)
    overdue_invoice(customer, "1000.00", days_late=30, number="ACME-1")
    overdue_invoice(customer, "250.00", days_late=73, number="ACME-2")
    return customer


def lines() -> list[tuple]:
    return list(
        DunningLine.objects.order_by("invoice__number").values_list(
            "invoice__number", "interest_rate", "interest_amount", "compensation_amount"
        )
    )


def test_by_default_a_letter_claims_neither_interest_nor_compensation(manager, acme):
    dunning.dunning_run_start(actor=manager)

    assert lines() == [
        ("ACME-1", None, Decimal("0.00"), Decimal("0.00")),
        ("ACME-2", None, Decimal("0.00"), Decimal("0.00")),
    ]


def _charges_on(*, interest: bool = True, compensation: bool = True) -> None:
    policy = DunningPolicy.objects.get(is_default=True)
    policy.interest_enabled = interest
    policy.interest_reference_rate = Decimal("2.15")
    policy.compensation_enabled = compensation
    policy.save()


def _euro_in_dollars(rate: str) -> None:
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=today() - days(10), rate=rate
    )


def test_a_policy_with_interest_and_compensation_shows_them_per_invoice_and_posts_nothing(
    manager, acme, django_capture_on_commit_callbacks, eager_celery
):
    _charges_on()
    _euro_in_dollars("1.08")
    ledger_before = (
        list(Invoice.objects.order_by("pk").values_list("number", "open_amount")),
        Adjustment.objects.count(),
        Application.objects.count(),
    )

    run = dunning.dunning_run_start(actor=manager)

    # 1000.00 x 10.15% x 30/365 = 8.3424 -> 8.34; 250.00 x 10.15% x 73/365 = 5.075 -> 5.08
    # compensation: 40.00 EUR x 1.08 = 43.20 USD, in the invoices' own currency
    assert lines() == [
        ("ACME-1", Decimal("10.15"), Decimal("8.34"), Decimal("43.20")),
        ("ACME-2", Decimal("10.15"), Decimal("5.08"), Decimal("43.20")),
    ]
    assert not DunningSkip.objects.exists()
    confirm = dunning_confirm_page(manager, run)
    assert "Fixed compensation shown on the letters: 86.40 USD" in confirm

    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=manager, run=run)
    comm = run.communications.get()
    pages = PdfReader(io.BytesIO(comm.document.read())).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Late-payment interest and compensation" in text
    assert "ACME-1 30 10.15 % 8.34 USD" in text
    assert "ACME-2 73 10.15 % 5.08 USD" in text
    assert "Total interest USD 13.42" in text and "13.42 USD" not in text
    assert "43.20 USD for each of 2 invoices, 86.40 USD" in text
    assert "EUR" not in text
    assert "not included in the amounts above" in text
    # the e-mail that carries the letter says it too, in its text and its HTML part
    email = render(comm)
    email_text = " ".join(email.email_text.split())
    assert "Late-payment interest and compensation" in email_text
    assert "43.20 USD for each of 2 invoices, 86.40 USD" in email_text
    assert "86.40 USD" in email.email_html
    ledger_after = (
        list(Invoice.objects.order_by("pk").values_list("number", "open_amount")),
        Adjustment.objects.count(),
        Application.objects.count(),
    )
    assert ledger_after == ledger_before


def test_the_reference_rate_falls_back_to_the_setting(manager, acme, settings):
    settings.DUNNING_INTEREST_REFERENCE_RATE = "4.00"
    DunningPolicy.objects.filter(is_default=True).update(interest_enabled=True)

    dunning.dunning_run_start(actor=manager)

    # 1000.00 x 12% x 30/365 = 9.8630 -> 9.86
    assert lines()[0][1:3] == (Decimal("12.00"), Decimal("9.86"))


def test_a_euro_invoice_shows_the_compensation_as_defined(manager, settings):
    _charges_on(interest=False)
    _euro_in_dollars("1.08")  # to judge the level's minimum; the 40 EUR needs no rate
    euro = Currency.objects.get(code="EUR")
    customer = account(
        collector("cora"), "Europa GmbH", billing_address="1 Ring\nBerlin", currency=euro
    )
    ContactFactory(customer=customer, name="Eva", email="ap@europa.example", is_primary=True)
    overdue_invoice(customer, "500.00", days_late=20, number="EU-1")

    dunning.dunning_run_start(actor=manager)

    assert lines() == [("EU-1", None, Decimal("0.00"), Decimal("40.00"))]


def test_the_compensation_is_one_setting_converted_at_the_run_s_rate(manager, acme, settings):
    settings.DUNNING_COMPENSATION_AMOUNT = "70.00"
    settings.DUNNING_COMPENSATION_CURRENCY = "GBP"
    _charges_on(interest=False)
    ExchangeRate.objects.create(
        currency_id="GBP", quote_currency_id="USD", valid_from=today() - days(40), rate="1.20"
    )
    # the rate in force on the run's day, not an older one
    ExchangeRate.objects.create(
        currency_id="GBP", quote_currency_id="USD", valid_from=today() - days(2), rate="1.25"
    )

    dunning.dunning_run_start(actor=manager)

    # 70.00 GBP x 1.25 = 87.50 USD
    assert [row[3] for row in lines()] == [Decimal("87.50"), Decimal("87.50")]


def test_without_a_rate_the_compensation_is_left_off_and_the_preview_says_why(manager, acme):
    _charges_on()  # no EUR rate at all: never 40 USD for 40 EUR

    run = dunning.dunning_run_start(actor=manager)

    assert [row[3] for row in lines()] == [Decimal("0.00"), Decimal("0.00")]
    assert [row[2] for row in lines()] == [Decimal("8.34"), Decimal("5.08")]  # interest stays
    skips = list(run.skips.order_by("invoice__number").values_list("invoice__number", "reason"))
    assert skips == [("ACME-1", "no_rate"), ("ACME-2", "no_rate")]
    assert run.skips.first().detail == (
        f"40.00 EUR compensation left off the letter: no exchange rate from EUR to USD "
        f"in force on {today()}"
    )
    assert run.communications.count() == 1  # the letter still goes out, without it
    assert "Fixed compensation shown" not in dunning_confirm_page(manager, run)


def dunning_confirm_page(manager, run) -> str:
    from django.test import Client

    client = Client()
    client.force_login(manager)
    return client.get(f"/dunning/runs/{run.pk}/approve/").content.decode()
