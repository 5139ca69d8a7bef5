"""A short payment opens a deduction for the rest (through the disputes service), both or
neither; the apply page offers it on a suggestion and splits a payment over all of its
suggestions with one click."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from cash import services
from cash.models import MatchSuggestion
from disputes.models import Dispute
from invoices.models import Application, Invoice
from tests.factories import payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db


def _cash(acme, amount: str):
    return payment(
        acme, amount, reference=f"SHORT-{amount}", received_date=datetime.date(2026, 2, 1)
    )


def test_a_short_payment_is_applied_and_the_rest_opens_a_deduction(
    finance, acme, acme_invoices, ledger_whole
):
    cash = _cash(acme, "370.00")
    target = acme_invoices[2]  # 400.00

    paid, dispute = services.payment_apply_short(actor=finance, payment=cash, invoice=target)

    assert paid == Decimal("370.00")
    assert Invoice.objects.get(pk=target.pk).open_amount == Decimal("30.00")
    assert (dispute.kind, dispute.amount, dispute.customer, dispute.raised_via) == (
        "deduction",
        Decimal("30.00"),
        acme,
        "cash_application",
    )
    assert list(dispute.invoices.all()) == [target]
    assert AuditEntry.objects.filter(action="payment.apply_short").count() == 1


def test_a_payment_that_covers_the_invoice_is_not_short(finance, acme, acme_invoices):
    cash = _cash(acme, "100.00")

    with pytest.raises(ServiceError, match="nothing is short"):
        services.payment_apply_short(actor=finance, payment=cash, invoice=acme_invoices[0])

    assert Application.objects.count() == 0
    assert Dispute.objects.count() == 0


def test_a_refused_deduction_leaves_nothing_applied(finance, acme, acme_invoices, monkeypatch):
    from cash.services import short_payments

    def refuse(**_kw):
        raise ServiceError("the disputes service refused", field="invoices")

    monkeypatch.setattr(short_payments, "deduction_open", refuse)
    cash = _cash(acme, "370.00")

    with pytest.raises(ServiceError):
        services.payment_apply_short(actor=finance, payment=cash, invoice=acme_invoices[2])

    cash.refresh_from_db()
    assert (cash.unapplied_amount, Application.objects.count()) == (Decimal("370.00"), 0)


def _suggest(cash, invoices_amounts):
    MatchSuggestion.objects.bulk_create(
        MatchSuggestion(payment=cash, invoice=i, amount=a, score=60, reason="test", rank=k)
        for k, (i, a) in enumerate(invoices_amounts, start=1)
    )


def test_finance_opens_a_deduction_from_a_suggestion(finance, acme, acme_invoices):
    cash = _cash(acme, "370.00")
    _suggest(cash, [(acme_invoices[2], Decimal("370.00"))])
    client = logged_in(finance)
    page = client.get(reverse("cash_payment_apply", args=[cash.pk]))
    assert b"Short: deduction" in page.content

    response = client.post(
        reverse("cash_payment_short", args=[cash.pk]), {"invoice": acme_invoices[2].pk}
    )

    assert response.status_code == 302
    assert Dispute.objects.get().amount == Decimal("30.00")
    page = client.get(response["Location"])
    assert "opened deduction" in page.content.decode()


def test_a_collector_cannot_open_a_deduction_from_cash(collector, acme, acme_invoices):
    cash = _cash(acme, "370.00")

    response = logged_in(collector).post(
        reverse("cash_payment_short", args=[cash.pk]), {"invoice": acme_invoices[2].pk}
    )

    assert response.status_code == 403
    assert Dispute.objects.count() == 0


def test_finance_splits_a_payment_over_its_suggestions_with_one_click(
    finance, acme, acme_invoices, ledger_whole
):
    cash = _cash(acme, "500.00")
    _suggest(cash, [(acme_invoices[0], Decimal("100.00")), (acme_invoices[2], Decimal("400.00"))])
    client = logged_in(finance)
    page = client.get(reverse("cash_payment_apply", args=[cash.pk])).content.decode()
    assert 'id="apply-split"' in page
    assert "Split over all 2 suggestions" in page

    client.post(
        reverse("cash_payment_apply", args=[cash.pk]),
        {
            "invoice": [acme_invoices[0].pk, acme_invoices[2].pk],
            f"amount-{acme_invoices[0].pk}": "100.00",
            f"amount-{acme_invoices[2].pk}": "400.00",
        },
    )

    assert sorted(Application.objects.values_list("invoice__number", "amount")) == [
        ("INV-0001", Decimal("100.00")),
        ("INV-0003", Decimal("400.00")),
    ]


def test_no_split_is_offered_when_the_suggestions_exceed_the_money(finance, acme, acme_invoices):
    cash = _cash(acme, "300.00")
    _suggest(cash, [(acme_invoices[0], Decimal("100.00")), (acme_invoices[2], Decimal("300.00"))])

    page = logged_in(finance).get(reverse("cash_payment_apply", args=[cash.pk]))

    assert b'id="apply-split"' not in page.content
