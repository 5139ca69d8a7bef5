"""Finance marks a payment it cannot place as unidentified, with a note: it stays on account,
flagged in the unapplied list and on its page; nothing in the ledger moves."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from cash import services
from cash.models import UnidentifiedMark
from invoices import services as ledger
from tests.factories import payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db


def test_finance_marks_a_payment_unidentified_from_its_page(finance, acme, acme_invoices):
    cash = payment(acme, "75.00", reference="WIRE-75", received_date=datetime.date(2026, 2, 1))
    client = logged_in(finance)

    response = client.post(
        reverse("cash_payment_unidentified", args=[cash.pk]),
        {"note": "no remittance, customer AP does not answer"},
    )

    assert response.status_code == 302
    mark = UnidentifiedMark.objects.get()
    assert (mark.payment, mark.note, mark.marked_by) == (
        cash,
        "no remittance, customer AP does not answer",
        finance,
    )
    cash.refresh_from_db()
    assert cash.unapplied_amount == Decimal("75.00")
    listed = client.get(reverse("cash_unapplied")).content.decode()
    table = listed[listed.index('id="unapplied-payments"') :]
    row = table[table.index("WIRE-75") : table.index("</tr>", table.index("WIRE-75"))]
    assert 'title="no remittance, customer AP does not answer">Unidentified</span>' in row
    page = client.get(reverse("cash_payment_apply", args=[cash.pk])).content.decode()
    assert 'id="unidentified"' in page


def test_marking_again_changes_the_note_and_audits_both(finance, acme):
    cash = payment(acme, "75.00", received_date=datetime.date(2026, 2, 1))

    services.payment_mark_unidentified(actor=finance, payment=cash, note="first look")
    services.payment_mark_unidentified(actor=finance, payment=cash, note="asked the bank")

    assert list(UnidentifiedMark.objects.values_list("note", flat=True)) == ["asked the bank"]
    entries = AuditEntry.objects.filter(action="payment.mark_unidentified").order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        (None, {"note": "first look"}),
        ({"note": "first look"}, {"note": "asked the bank"}),
    ]


@pytest.mark.parametrize("state", ["applied", "void", "no-note"])
def test_only_money_left_on_account_is_marked_and_with_a_note(finance, acme, acme_invoices, state):
    cash = payment(acme, "100.00", received_date=datetime.date(2026, 2, 1))
    note = "cannot place it"
    if state == "applied":
        ledger.payment_apply_oldest_first(
            actor=None, payment=cash, effective_date=datetime.date(2026, 2, 1)
        )
    elif state == "void":
        ledger.payment_void(
            actor=None, payment=cash, return_date=datetime.date(2026, 2, 2), reason="NSF"
        )
    else:
        note = "  "

    with pytest.raises(ServiceError):
        services.payment_mark_unidentified(actor=finance, payment=cash, note=note)

    assert UnidentifiedMark.objects.count() == 0


def test_a_cfo_cannot_mark(cfo, acme):
    cash = payment(acme, "75.00", received_date=datetime.date(2026, 2, 1))

    response = logged_in(cfo).post(
        reverse("cash_payment_unidentified", args=[cash.pk]), {"note": "x"}
    )

    assert response.status_code == 403
    assert UnidentifiedMark.objects.count() == 0
