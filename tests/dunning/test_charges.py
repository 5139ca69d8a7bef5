"""Late-payment interest (reference rate + 8 points) and the fixed 40 EUR compensation per
invoice (Directive 2011/7/EU): off by default, per policy, shown on the letter as separate
lines and stored on the communication's lines, never posted to the ledger."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dunning import services as dunning
from dunning.models import DunningLine, DunningPolicy
from invoices.models import Adjustment, Application, Invoice
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
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


def test_a_policy_with_interest_and_compensation_shows_them_per_invoice_and_posts_nothing(
    manager, acme, django_capture_on_commit_callbacks, eager_celery
):
    policy = DunningPolicy.objects.get(is_default=True)
    policy.interest_enabled = True
    policy.interest_reference_rate = Decimal("2.15")
    policy.compensation_enabled = True
    policy.save()
    ledger_before = (
        list(Invoice.objects.order_by("pk").values_list("number", "open_amount")),
        Adjustment.objects.count(),
        Application.objects.count(),
    )

    run = dunning.dunning_run_start(actor=manager)

    # 1000.00 x 10.15% x 30/365 = 8.3424 -> 8.34; 250.00 x 10.15% x 73/365 = 5.075 -> 5.08
    assert lines() == [
        ("ACME-1", Decimal("10.15"), Decimal("8.34"), Decimal("40.00")),
        ("ACME-2", Decimal("10.15"), Decimal("5.08"), Decimal("40.00")),
    ]
    confirm = dunning_confirm_page(manager, run)
    assert "Fixed compensation shown on the letters: 80.00 EUR" in confirm

    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=manager, run=run)
    comm = run.communications.get()
    pages = PdfReader(io.BytesIO(comm.document.read())).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Late-payment interest and compensation" in text
    assert "ACME-1 30 10.15 % 8.34 USD" in text
    assert "ACME-2 73 10.15 % 5.08 USD" in text
    assert "Total interest USD 13.42 USD" in text
    assert "40.00 EUR for each of 2 invoices, 80.00 EUR" in text
    assert "not included in the amounts above" in text
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


def dunning_confirm_page(manager, run) -> str:
    from django.test import Client

    client = Client()
    client.force_login(manager)
    return client.get(f"/dunning/runs/{run.pk}/approve/").content.decode()
