"""Issue 11, finance's exports: the detail's totals are per currency plus the reporting
currency's grand total, each file opens with a title line (as-of date, basis, filters), and
the PDF prints its totals once, after the last row."""

import csv
import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum
from pypdf import PdfReader

from accounts import roles
from accounts.models import Currency
from invoices.models import Invoice
from reporting.exports import export_path, export_run
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = "2026-06-30"
CENT = Decimal("0.01")
EUR_RATE = Decimal("1.20")  # in force on AS_OF (tests/reporting/conftest.py)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def book(eur_rates):
    """Two currencies, three customers, a collector with a name."""
    alice = user_in_role(roles.COLLECTOR, "alice", first_name="Alice", last_name="Avery")
    eur = Currency.objects.get(code="EUR")
    usd_a = CustomerFactory(name="Acme", assigned_collector=alice)
    usd_b = CustomerFactory(name="Bolt")
    euro = CustomerFactory(name="Euro GmbH", currency=eur, assigned_collector=alice)
    for n, amount in enumerate(["100.10", "2500.00", "0.45"]):
        invoice(usd_a, amount, number=f"A-{n}", issue_date=datetime.date(2026, 3, 1 + n))
    invoice(usd_b, "999.99", number="B-1", issue_date=datetime.date(2026, 5, 2))
    for n, amount in enumerate(["333.33", "1000.01"]):
        invoice(euro, amount, number=f"E-{n}", issue_date=datetime.date(2026, 4, 1 + n))
    return {"alice": alice}


def _run(user, kind, fmt, **parameters):
    job = ExportJob.objects.create(
        user=user, kind=kind, format=fmt, parameters={"as_of": AS_OF, **parameters}
    )
    job = export_run(job.pk)
    assert job.status == "done", job.error
    return export_path(job)


def _expected(currency):
    """The ledger's own answer: Σ open amounts of the currency, and Σ of each converted."""
    items = Invoice.objects.filter(currency=currency)
    own = items.aggregate(t=Sum("open_amount"))["t"]
    rate = EUR_RATE if currency == "EUR" else Decimal(1)
    converted = sum((i.open_amount * rate).quantize(CENT) for i in items)
    return own, converted


def test_the_detail_csv_totals_each_currency_and_the_reporting_currency(book):
    path = _run(user_in_role(roles.FINANCE, "fin"), "detail", "csv")

    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    totals = {row[0]: row for row in rows[-3:]}
    eur, usd = _expected("EUR"), _expected("USD")
    assert list(totals) == ["Total EUR", "Total USD", "Grand total (USD)"]
    assert (totals["Total EUR"][7], totals["Total EUR"][8], totals["Total EUR"][9]) == (
        "EUR",
        f"{eur[0]:.2f}",
        f"{eur[1]:.2f}",
    )
    assert (totals["Total USD"][8], totals["Total USD"][9]) == (f"{usd[0]:.2f}", f"{usd[1]:.2f}")
    grand = totals["Grand total (USD)"]
    assert grand[8] == ""  # never a sum of EUR and USD
    assert Decimal(grand[9]) == eur[1] + usd[1] == sum(Decimal(r[9]) for r in rows[2:-3])


def test_the_detail_xlsx_subtotals_are_formulas_carrying_each_currencys_sum(book):
    path = _run(user_in_role(roles.FINANCE, "fin"), "detail", "xlsx")

    formulas = openpyxl.load_workbook(path).active
    values = openpyxl.load_workbook(path, data_only=True).active
    rows = list(values.iter_rows(values_only=True))
    last_item = 2 + Invoice.objects.count()  # title, header, then the items
    labels = [r[0] for r in rows[last_item:]]
    assert labels == ["Total EUR", "Total USD", "Grand total (USD)"]
    eur_row = last_item + 1
    assert formulas.cell(eur_row, 9).value == f'=SUMIF($H$3:$H${last_item},"EUR",I3:I{last_item})'
    assert Decimal(str(values.cell(eur_row, 9).value)).quantize(CENT) == _expected("EUR")[0]
    assert Decimal(str(values.cell(eur_row, 10).value)).quantize(CENT) == _expected("EUR")[1]
    grand_row = last_item + 3
    assert formulas.cell(grand_row, 10).value == f"=SUBTOTAL(9,J3:J{last_item})"
    assert values.cell(grand_row, 9).value is None
    assert Decimal(str(values.cell(grand_row, 10).value)).quantize(CENT) == (
        _expected("EUR")[1] + _expected("USD")[1]
    )


def test_the_title_line_names_the_as_of_date_basis_and_every_filter(book):
    path = _run(
        user_in_role(roles.FINANCE, "fin"),
        "detail",
        "csv",
        basis="invoice",
        collector=book["alice"].pk,
        currency="EUR",
        in_dispute=False,
    )

    with path.open(newline="", encoding="utf-8-sig") as handle:
        title = next(csv.reader(handle))
    assert title == [
        "Aging detail as of 2026-06-30 · invoice date basis · amounts in USD · "
        "collector Alice Avery · currency EUR · not in dispute"
    ]


def test_each_xlsx_sheet_starts_with_its_title_row(book):
    path = _run(user_in_role(roles.FINANCE, "fin"), "summary", "xlsx", grouping="collector")

    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        assert sheet["A1"].value == (
            "Aging summary by collector as of 2026-06-30 · due date basis · amounts in USD "
            "· no filter"
        )
        assert sheet["A2"].value == "Group"
        assert sheet.freeze_panes == "A3"


def test_the_pdf_prints_the_totals_once_after_the_last_row(book):
    many = CustomerFactory(name="Many Lines Ltd")
    for n in range(90):  # enough rows for three pages
        invoice(many, f"{10 + n}.25", number=f"M-{n:03d}", issue_date=datetime.date(2026, 2, 1))

    path = _run(user_in_role(roles.FINANCE, "fin"), "detail", "pdf")

    pages = [page.extract_text() for page in PdfReader(path).pages]
    assert len(pages) >= 3
    assert "due date basis · amounts in USD · no filter" in pages[0]
    assert [page.count("Grand total (USD)") for page in pages] == [0] * (len(pages) - 1) + [1]
    assert "Total EUR" in pages[-1] and "Total USD" in pages[-1]
    assert not any("Total EUR" in page for page in pages[:-1])
    grand = _expected("EUR")[1] + _expected("USD")[1]
    assert f"{grand:,.2f}" in pages[-1].split("Grand total (USD)")[1]
    assert "Open amount" in pages[1]  # the header repeats on every page


def test_an_amount_in_a_currency_without_cents_is_printed_without_them(db, eur_rates):
    from accounts.models import ExchangeRate

    jpy = Currency.objects.get(code="JPY")
    ExchangeRate.objects.create(
        currency=jpy, quote_currency_id="USD", valid_from=datetime.date(2026, 1, 1), rate="0.0065"
    )
    invoice(CustomerFactory(name="Tokyo KK", currency=jpy), "150000", number="J-1")

    path = _run(user_in_role(roles.FINANCE, "fin"), "detail", "pdf")

    text = PdfReader(path).pages[0].extract_text()
    assert "150,000 JPY" in text  # the item and its currency's subtotal
    assert "150,000.00" not in text
    assert "975.00" in text  # 150,000 JPY at 0.0065 USD


def test_the_pdf_grand_total_label_stays_on_one_line_beside_a_narrow_first_column(db, eur_rates):
    """The first column holds short customer refs and a long name squeezes it; the total
    rows' labels must not break into "Grand" / "total" / "(USD)" on three lines."""
    long_name = CustomerFactory(external_ref="C1", name="Anderson Brothers Industrial Supply " * 3)
    invoice(long_name, "12.50", number="S-1", issue_date=datetime.date(2026, 3, 1))

    path = _run(user_in_role(roles.FINANCE, "fin"), "detail", "pdf")

    runs: list[tuple[str, float]] = []
    PdfReader(path).pages[-1].extract_text(
        visitor_text=lambda text, cm, tm, font, size: runs.append((text, round(tm[5], 1)))
    )
    grand = [(text, y) for text, y in runs if "Grand" in text]
    assert len(grand) == 1 and "Grand total (USD)" in grand[0][0], runs
