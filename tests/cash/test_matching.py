"""Matching: invoice numbers in remittance text, amounts and payers, ranked with reasons; and
on a generated set of bank credits, the straight-through and wrong-apply rates (printed),
the wrong-apply rate being 0 at the default threshold."""

from __future__ import annotations

import datetime
import random
import time
from decimal import Decimal

import pytest
from django.conf import settings

from cash import matching, services
from cash.models import BankImport
from invoices.models import Invoice
from invoices.selectors import ledger_discrepancies
from tests.factories import invoice

from . import generated
from .statements import camt053

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "text", "found_by"),
    [
        ("INV-0001", "INV-0001", "full"),
        ("INV-0001", "payment inv 1", "full"),
        ("INV-0001", "Invoice INV0001 thanks", "full"),
        ("1234567890", "Rg.-Nr. 1234567890", "full"),
        ("0001234567", "Rg.-Nr. 1234567", "full"),
        ("123456", "Factuurnr 123456", "full"),
        ("2026-00045", "re 2026/45 and 2026/46", "full"),
        ("RE-0012345", "Zahlung 12345", "digits"),
        ("INV-000123", "RF73INV000123", "full"),
    ],
)
def test_an_invoice_number_is_found_in_the_text(number, text, found_by):
    full, digits = matching.text_keys(text)

    found = {
        "full": matching.full_key(number) in full,
        "digits": matching.digits_key(number) in digits,
    }
    assert found[found_by] is True
    if found_by == "digits":
        assert found["full"] is False


@pytest.mark.parametrize(
    "printed",
    ["RF73INV000123", "RF73 INV0 0012 3", "ref rf73 inv0 0012 3 thanks", "RF73INV000123."],
)
def test_an_rf_reference_is_read_when_its_check_digits_hold(printed):
    assert matching.rf_reference("INV-000123") == "RF73INV000123"
    bodies, invalid, _rest = matching.rf_references(printed)

    assert (bodies, invalid) == ({"INV000123"}, [])


def test_an_rf_reference_with_wrong_check_digits_names_nothing():
    bodies, invalid, rest = matching.rf_references("RF74INV000123 March")

    assert (bodies, invalid, rest) == (set(), ["RF74INV000123"], "MARCH")
    assert matching.text_keys("RF74INV000123") == (set(), set())


@pytest.mark.parametrize(("number", "text"), [("INV-0001", "INV-0010"), ("123", "order 1234")])
def test_a_different_number_is_not_taken_for_it(number, text):
    full, digits = matching.text_keys(text)

    assert matching.full_key(number) not in full
    assert matching.digits_key(number) not in digits


def test_candidates_are_ranked_with_reasons(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme,
        amount=Decimal("250.00"),
        currency="USD",
        remittance="INV-0002",
        payer_name="Acme Tools Inc",
    )

    assert [(c.invoice.number, c.amount, c.score, c.reason) for c in ranked] == [
        (
            "INV-0002",
            Decimal("250.00"),
            100,
            "invoice number INV-0002 is in the text; the amount equals its open balance; "
            "the payer name is Acme Tools Inc.'s",
        )
    ]


def test_two_named_invoices_paid_together_are_both_applied(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme, amount=Decimal("350.00"), currency="USD", remittance="INV-0001 / INV-0002"
    )

    plan = matching.automatic_plan(ranked, threshold=80)

    assert [(c.invoice.number, c.amount, c.score) for c in plan] == [
        ("INV-0001", Decimal("100.00"), 90),
        ("INV-0002", Decimal("250.00"), 90),
    ]


def test_an_amount_alone_is_only_a_suggestion_from_an_unknown_bank_account(acme, acme_invoices):
    ranked = matching.rank(customer=acme, amount=Decimal("400.00"), currency="USD", remittance="")

    assert [(c.invoice.number, c.score) for c in ranked] == [("INV-0003", 60)]
    assert matching.automatic_plan(ranked, threshold=80) == []


def test_the_one_way_to_make_an_amount_from_a_known_account_is_applied(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme, amount=Decimal("400.00"), currency="USD", remittance="", payer_known=True
    )

    plan = matching.automatic_plan(ranked, threshold=80)
    assert [(c.invoice.number, c.score) for c in plan] == [("INV-0003", 80)]
    assert plan[0].reason == (
        "the only open invoice for exactly this amount; this bank account paid the customer before"
    )


def test_an_amount_two_ways_is_never_applied(acme, acme_invoices):
    invoice(acme, "350.00", number="INV-0004", issue_date=datetime.date(2026, 1, 25))

    ranked = matching.rank(
        customer=acme, amount=Decimal("350.00"), currency="USD", remittance="", payer_known=True
    )

    assert [(c.invoice.number, c.score) for c in ranked] == [("INV-0004", 45)]
    assert "a combination also makes it" in ranked[0].reason
    assert matching.automatic_plan(ranked, threshold=80) == []


def test_a_mistyped_number_in_the_text_stops_the_amount_applying(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme,
        amount=Decimal("400.00"),
        currency="USD",
        remittance="Invoice INV-99999",
        payer_known=True,
    )

    assert [c.score for c in ranked] == [45]
    assert matching.automatic_plan(ranked, threshold=80) == []


def test_a_combination_of_open_invoices_is_found_and_applied_together(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme, amount=Decimal("500.00"), currency="USD", remittance="", payer_known=True
    )

    plan = matching.automatic_plan(ranked, threshold=80)
    assert sorted((c.invoice.number, c.amount) for c in plan) == [
        ("INV-0001", Decimal("100.00")),
        ("INV-0003", Decimal("400.00")),
    ]
    assert "the only combination of open invoices (INV-0001, INV-0003)" in plan[0].reason


def test_the_subset_sum_is_bounded_and_an_unfinished_search_is_not_sure(acme, monkeypatch):
    many = [
        invoice(acme, f"{100 + k}.00", number=f"BIG-{k:03d}", issue_date=datetime.date(2026, 1, 1))
        for k in range(45)
    ]
    found = matching.combinations(many, Decimal("211.00"))

    assert [sorted(i.number for i in combo) for combo in found] == [
        ["BIG-000", "BIG-011"],
        [
            "BIG-001",
            "BIG-010",
        ],
    ]
    assert len(matching.combinations(many, Decimal("500.00"))) == 2  # many ways: not one
    assert matching.combinations(many, Decimal("999.00")) == []  # more than 4 can make
    monkeypatch.setattr(matching, "COMBINATION_STEPS", 5)
    assert matching.combinations(many, Decimal("450.00")) == [[]]  # gave up: maybe a way


def test_bank_charges_within_the_tolerance_settle_the_invoice(acme, acme_invoices, settings):
    settings.CASH_BANK_CHARGES_TOLERANCE = "20.00"
    ranked = matching.rank(
        customer=acme, amount=Decimal("232.50"), currency="USD", remittance="INV-0002"
    )

    (best,) = ranked
    assert (best.amount, best.score, best.settle, best.settle_kind) == (
        Decimal("232.50"),
        90,
        Decimal("17.50"),
        "small_balance",
    )
    over = matching.rank(
        customer=acme, amount=Decimal("229.00"), currency="USD", remittance="INV-0002"
    )
    assert (over[0].settle, over[0].score) == (Decimal("0"), 75)  # 21.00 short: a part payment


def test_the_early_payment_discount_within_its_days_settles_the_invoice(
    acme, acme_invoices, settings
):
    settings.CASH_BANK_CHARGES_TOLERANCE = "5.00"
    within = matching.rank(
        customer=acme,
        amount=Decimal("392.00"),
        currency="USD",
        remittance="INV-0003",
        received_date=datetime.date(2026, 1, 30),
    )
    late = matching.rank(
        customer=acme,
        amount=Decimal("392.00"),
        currency="USD",
        remittance="INV-0003",
        received_date=datetime.date(2026, 1, 31),
    )

    assert (within[0].settle, within[0].settle_kind, within[0].score) == (
        Decimal("8.00"),
        "discount",
        90,
    )
    assert "2 % early-payment discount, paid within 10 days" in within[0].reason
    assert (late[0].settle, late[0].score) == (Decimal("0"), 75)


def test_a_part_payment_is_not_sure_when_another_invoice_has_the_amount(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme, amount=Decimal("100.00"), currency="USD", remittance="INV-0002"
    )

    assert [(c.invoice.number, c.score) for c in ranked] == [("INV-0002", 60)]
    assert "but invoice INV-0001 is for exactly this amount" in ranked[0].reason


def test_an_rf_reference_names_its_invoice(acme, acme_invoices):
    ranked = matching.rank(
        customer=acme,
        amount=Decimal("250.00"),
        currency="USD",
        remittance=matching.rf_reference("INV-0002"),
    )

    assert [(c.invoice.number, c.score) for c in ranked] == [("INV-0002", 100)]
    assert ranked[0].reason.startswith("the creditor reference (RF, check digits valid)")


# --- the generated set ----------------------------------------------------------------------


def test_generated_credits_are_applied_straight_through_and_never_wrongly(capsys):
    rng = random.Random(15)
    data = generated.book(rng, customers=80)
    entries, cases = generated.credits(data, rng, 300)
    job = services.bank_import_upload(
        actor=None, file_name="generated.xml", content=camt053(entries)
    )

    started = time.perf_counter()
    services.bank_import_process(bank_import_id=job.pk)
    elapsed = time.perf_counter() - started

    assert BankImport.objects.get().status == "done"
    measured = generated.measure(cases)
    with capsys.disabled():
        print(
            f"\nmatching at threshold {settings.CASH_AUTO_APPLY_THRESHOLD}: {measured.line()}; "
            f"{1000 * elapsed / len(cases):.1f} ms per credit imported, matched and posted"
        )
    assert {c.kind for c in cases} == set(generated.KINDS)
    assert measured.wrong == []
    assert measured.invoices_through / measured.invoices_intended >= 0.90
    assert measured.settled == measured.settles_intended - measured.missed.get(
        "charges", 0
    ) - measured.missed.get("discount", 0)
    assert ledger_discrepancies() == []
    assert Invoice.objects.filter(open_amount__lt=0).count() == 0
