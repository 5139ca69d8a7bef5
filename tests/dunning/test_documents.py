"""What the PDFs say, read back with pypdf: the dunning letter, the statement of account with
its aging and remittance slip, and the two as one document for every communication."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from pypdf import PdfReader

from accounts.buckets import bucket_of
from accounts.models import Currency, ExchangeRate
from collections_app.services import statement_pdf
from dunning import documents
from dunning import services as dunning
from dunning.sending import render
from invoices import statements
from invoices.models import Invoice
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    days,
    overdue_invoice,
    pay,
    today,
)
from tests.factories import ContactFactory, invoice

pytestmark = pytest.mark.django_db


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return "\n".join(_pages(pdf))


@pytest.fixture
def acme():
    """Open items in two currencies, one in every aging bucket, and one paid in full."""
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ContactFactory(customer=customer, name="Ann Payable", is_primary=True, email="ap@acme.example")
    eur = Currency.objects.get(code="EUR")
    for number, amount, late in [
        ("A-CURR", "100.00", -5),
        ("A-D0", "101.00", 0),
        ("A-D1", "110.00", 1),
        ("A-D30", "130.00", 30),
        ("A-D31", "131.00", 31),
        ("A-D60", "160.00", 60),
        ("A-D61", "161.00", 61),
        ("A-D90", "190.00", 90),
        ("A-D91", "191.00", 91),
        ("A-D120", "220.00", 120),
        ("A-D121", "221.00", 121),
    ]:
        overdue_invoice(customer, amount, days_late=late, number=number)
    partly = overdue_invoice(customer, "1000.00", days_late=45, number="A-PART")
    pay(customer, "400.00", invoices=[partly])
    paid = overdue_invoice(customer, "50.00", days_late=10, number="A-PAID")
    pay(customer, "50.00", invoices=[paid])
    issue = today() - days(50)
    invoice(customer, "2500.00", number="A-EUR-1", issue_date=issue, due_days=30, currency=eur)
    return customer


def test_the_statement_lists_every_open_item_with_its_days_past_due(acme):
    text = _text(statement_pdf(acme))

    for number in Invoice.objects.filter(customer=acme, open_amount__gt=0).values_list(
        "number", flat=True
    ):
        assert number in text
    assert "A-PAID" not in text
    day = r"\w{3} \d+, \d{4}"  # Oct 31, 2026: the letter's language writes the dates
    assert re.search(rf"A-D31 {day} {day} 31 131\.00 USD 131\.00 USD", text)
    assert re.search(rf"A-PART {day} {day} 45 1,000\.00 USD 600\.00 USD", text)
    assert re.search(rf"A-CURR {day} {day} 0 100\.00 USD", text)  # not yet due: 0 days


def test_the_aging_uses_the_reporting_buckets_day_30_in_1_30():
    assert [bucket_of(d) for d in (-3, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121)] == [
        "current",
        "current",
        "1_30",
        "1_30",
        "31_60",
        "31_60",
        "61_90",
        "61_90",
        "91_120",
        "91_120",
        "over_120",
    ]


def _db_buckets(customer, currency: str) -> list[Decimal]:
    """Aging straight from the ledger, in SQL, to hold the statement's sums against."""
    t = today()
    ranges = [
        Q(due_date__gte=t),
        Q(due_date__lt=t, due_date__gte=t - days(30)),
        Q(due_date__lt=t - days(30), due_date__gte=t - days(60)),
        Q(due_date__lt=t - days(60), due_date__gte=t - days(90)),
        Q(due_date__lt=t - days(90), due_date__gte=t - days(120)),
        Q(due_date__lt=t - days(120)),
    ]
    sums = Invoice.objects.filter(customer=customer, currency_id=currency).aggregate(
        **{f"b{n}": Sum("open_amount", filter=q) for n, q in enumerate(ranges)},
        total=Sum("open_amount"),
    )
    return [sums[f"b{n}"] or Decimal("0.00") for n in range(6)] + [sums["total"]]


def test_the_aging_totals_equal_the_ledger_sums(acme):
    statement = statements.statement_data(acme)

    eur, usd = statement["currencies"]
    assert [*usd["aging"], usd["open"]] == _db_buckets(acme, "USD")
    assert [*eur["aging"], eur["open"]] == _db_buckets(acme, "EUR")
    assert usd["aging"] == [
        Decimal("201.00"),
        Decimal("240.00"),
        Decimal("891.00"),
        Decimal("351.00"),
        Decimal("411.00"),
        Decimal("221.00"),
    ]

    text = _text(statements.statement_pdf(statement))
    assert "USD 201.00 240.00 891.00 351.00 411.00 221.00 2,315.00\n" in text
    assert "EUR 0.00 2,500.00 0.00 0.00 0.00 0.00 2,500.00\n" in text


def test_the_statement_ends_with_the_remittance_slip(acme, settings):
    settings.COMPANY_BANK_DETAILS = "IBAN GB00 TEST 1234 · BIC TESTGB00"

    pages = _pages(statement_pdf(acme))

    slip = pages[-1][pages[-1].index("Remittance slip") :]
    assert "Pay to".upper() in slip
    assert "Dunwell Supplies Ltd" in slip
    assert "Bank: IBAN GB00 TEST 1234 · BIC TESTGB00" in slip
    assert "Acme Widgets" in slip
    assert f"Account ref {acme.external_ref}" in slip
    assert "Currency Amount due Amount enclosed Cheque number" in slip
    assert "EUR 2,500.00 EUR" in slip
    assert "USD 2,315.00 USD" in slip


def test_a_statement_with_nothing_open_says_so_and_still_has_a_slip():
    quiet = account(collector("cora"), "Quiet Corp")

    text = _text(statement_pdf(quiet))

    assert "Nothing is open on your account. Thank you." in text
    assert "Remittance slip" in text


def test_a_200_line_statement_has_every_invoice_the_header_on_each_page_and_the_slip_last():
    big = account(collector("cora"), "Big Buyer Inc")
    numbers = [f"BIG-{n:04d}" for n in range(200)]
    for n, number in enumerate(numbers):
        overdue_invoice(big, f"{100 + n}.25", days_late=n, number=number)

    pages = _pages(statement_pdf(big))

    text = "\n".join(pages)
    assert sorted(set(re.findall(r"BIG-\d{4}", text))) == numbers
    assert len(pages) >= 4
    for page in pages[:-1]:
        assert re.search(r"Invoice Issued Due\s+Days\s+past\s+due\s+Amount Open", page)  # header
    assert "Remittance slip" in pages[-1]
    assert "Remittance slip" not in "\n".join(pages[:-1])
    total = sum(Decimal(f"{100 + n}.25") for n in range(200))
    assert f"USD {total:,.2f} USD" in pages[-1]


def test_the_letter_names_the_customer_its_invoices_and_totals_per_currency():
    context = documents.sandbox_context(
        customer=account(collector("cora"), "Bolt Brothers", billing_address="9 Dock Rd"),
        contact=None,
        level=type("Level", (), {"number": 3, "name": "Final demand"}),
        lines=[
            _line("BOLT-1", "USD", "900.00", 35),
            _line("BOLT-2", "USD", "1250.50", 40),
            _line("BOLT-3", "EUR", "70.00", 31),
        ],
        as_of=today(),
    )
    template = documents.template_for("final_demand", "en")
    subject, body = documents.render_letter(template, context)

    text = _text(documents.letter_pdf(subject=subject, body=body, context=context))

    assert "Final demand for payment — Bolt Brothers" in text
    assert "Dear Sir or Madam" in text
    for number in ("BOLT-1", "BOLT-2", "BOLT-3"):
        assert number in text
    assert "Total overdue USD 2,150.50" in text
    assert "Total overdue EUR 70.00" in text
    assert "Statement of account" not in text  # the letter alone


def _line(number: str, currency: str, amount: str, late: int) -> dict:
    due = today() - datetime.timedelta(days=late)
    return {
        "number": number,
        "issue_date": due - days(30),
        "due_date": due,
        "days_past_due": late,
        "currency": currency,
        "open_amount": Decimal(amount),
    }


def test_every_dunning_communication_is_the_letter_then_the_statement_with_its_slip(acme):
    ExchangeRate.objects.create(
        currency_id="EUR", quote_currency_id="USD", valid_from=today() - days(900), rate="1.10"
    )
    run = dunning.dunning_run_start(actor=credit_manager("carla"))
    comm = run.communications.select_related("run", "customer", "level", "contact").get()

    rendered = render(comm)

    pages = _pages(rendered.pdf)
    letter_end = next(n for n, p in enumerate(pages) if "Statement of account" in p)
    letter = "\n".join(pages[:letter_end])
    statement = "\n".join(pages[letter_end:])
    assert rendered.subject in letter
    # Never reminded: the first letter is the friendly reminder, however old the invoices.
    assert "Friendly reminder — Acme Widgets" in letter
    assert "Total overdue USD 2,114.00" in letter
    assert "Statement of account" not in letter
    assert "A-D121" in letter and "A-CURR" not in letter  # the letter: overdue only
    assert "A-CURR" in statement and "A-EUR-1" in statement  # the statement: every open item
    assert "Remittance slip" in pages[-1]
    assert "USD 2,315.00 USD" in pages[-1]
    assert "<p>Dear Ann Payable" in rendered.html  # the e-mail body is the letter alone
    assert "Remittance slip" not in rendered.html


def test_the_workspace_downloads_this_statement(client, acme):
    client.force_login(acme.assigned_collector)

    response = client.get(f"/customers/{acme.pk}/statement.pdf")

    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "Statement of account" in text and "Remittance slip" in text
    assert "A-D121" in text and "A-EUR-1" in text
