"""Finance refunds an overpayment in a browser: a part within the approval limit posts at
once, the rest waits on the Refunds page until a second person approves it. Screenshots go
to tests/artifacts/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts import roles
from invoices import services as ledger
from invoices.models import Payment, Refund
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _log_in(page, username: str, url: str) -> None:
    page.context.clear_cookies()
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_finance_refunds_an_overpayment_and_a_second_person_approves(page, screenshot, settings):
    settings.CASH_REFUND_APPROVAL_LIMIT = "1000.00"
    user_in_role(roles.FINANCE, "fiona")
    approver = user_in_role(roles.FINANCE, "petra")
    approver.user_permissions.add(Permission.objects.get(codename="approve_refund"))
    acme = CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")
    invoice(acme, "750.00", number="INV-0001", issue_date=datetime.date(2026, 1, 1))
    cash = payment(acme, "3100.00", reference="OVERPAY-1")
    ledger.payment_apply_oldest_first(actor=None, payment=cash)

    _log_in(page, "fiona", "/cash/unapplied/")
    page.get_by_role("link", name="Refund OVERPAY-1").click()
    page.get_by_role("heading", name="Refund or contra").wait_for()
    assert "2,350.00" in page.locator("#refund-balance").inner_text()
    page.get_by_label("Amount").fill("350.00")
    page.get_by_label("Reference").fill("WIRE-5501")
    page.get_by_label("Reason").fill("customer asked for part of the overpayment back")
    page.get_by_role("button", name="Post").click()
    page.locator(".messages", has_text="Posted a refund of 350.00 USD").wait_for()
    assert "2,000.00" in page.locator("#unapplied").inner_text()
    assert page.locator("#refunds", has_text="WIRE-5501").count() == 1

    page.locator("#refund-link").click()
    page.get_by_label("What").select_option("contra")
    page.get_by_label("Amount").fill("9,000.00")
    page.get_by_label("Reference").fill("AP-BILL-88")
    page.get_by_label("Reason").fill("netted against their supplier invoice")
    page.get_by_role("button", name="Post").click()
    page.get_by_text("exceeds the unapplied 2,000.00 USD of payment OVERPAY-1").wait_for()
    screenshot("cash-refund-refused")
    page.get_by_label("Amount").fill("2,000.00")
    page.get_by_role("button", name="Post").click()
    page.locator(".messages", has_text="waits for a second person").wait_for()
    page.get_by_role("link", name="Refunds", exact=True).click()
    page.locator("#pending-refunds", has_text="AP-BILL-88").wait_for()
    assert page.locator("#pending-refunds", has_text="waiting for a second person").count() == 1
    screenshot("cash-refunds-pending")

    _log_in(page, "petra", "/cash/refunds/")
    page.locator("#pending-refunds").get_by_role("button", name="Approve").click()
    page.locator(".messages", has_text="approved").wait_for()
    assert page.locator("#decided-refunds", has_text="AP-BILL-88").count() == 1
    screenshot("cash-refunds-approved")

    page.goto(f"/cash/payments/{cash.pk}/")
    assert "0.00" in page.locator("#unapplied").inner_text()
    assert page.locator("#refunds tbody tr").count() == 2
    screenshot("cash-payment-refunded")
    assert Payment.objects.get(pk=cash.pk).unapplied_amount == Decimal("0.00")
    assert sorted(Refund.objects.values_list("kind", flat=True)) == ["contra", "refund"]
    assert ledger_discrepancies() == []


def test_finance_reverses_a_refund_the_bank_sent_back(page, screenshot, settings):
    settings.CASH_REFUND_APPROVAL_LIMIT = "1000.00"
    user_in_role(roles.FINANCE, "fiona")
    acme = CustomerFactory(external_ref="ACME", name="Acme Tools Inc.")
    cash = payment(acme, "3100.00", reference="OVERPAY-2")
    refund = ledger.unapplied_refund(
        actor=None,
        source=cash,
        kind="refund",
        amount="350.00",
        reference="WIRE-5501",
        reason="customer asked for part of the overpayment back",
    )

    _log_in(page, "fiona", f"/cash/payments/{cash.pk}/")
    assert "2,750.00" in page.locator("#unapplied").inner_text()
    assert page.locator("details.void").count() == 0  # money paid back: no void
    row = page.locator(f"#refund-{refund.pk}")
    row.get_by_label("Why reverse WIRE-5501").fill("returned by the bank: account closed")
    row.get_by_label("Return reference of WIRE-5501").fill("RET-2026-88")
    screenshot("cash-refund-reverse-before")
    row.get_by_role("button", name="Reverse").click()
    page.locator(
        ".messages", has_text="Reversed the refund to the customer of 350.00 USD"
    ).wait_for()

    assert "3,100.00" in page.locator("#unapplied").inner_text()
    assert "reversed" in page.locator(f"#refund-{refund.pk}").inner_text()
    reversal = Refund.objects.get(reverses=refund)
    reversal_row = page.locator(f"#refund-{reversal.pk}")
    assert "Reversal of the refund to the customer" in reversal_row.inner_text()
    assert "RET-2026-88" in reversal_row.inner_text()
    assert "-350.00 USD" in reversal_row.inner_text()
    assert page.get_by_role("button", name="Reverse").count() == 0
    assert page.locator("details.void").count() == 1  # whole again: it may be voided
    screenshot("cash-refund-reversed")

    page.goto(f"/customers/{acme.pk}/")
    line = page.locator("ol.timeline li", has_text="reversed")
    assert (
        "Refund to the customer of 350.00 USD from payment OVERPAY-2 (WIRE-5501) reversed"
        in line.inner_text()
    )
    screenshot("cash-refund-reversed-timeline")
    assert Payment.objects.get(pk=cash.pk).unapplied_amount == Decimal("3100.00")
    assert ledger_discrepancies() == []
