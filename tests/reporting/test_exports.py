"""Aging exports read back from the file: XLSX, CSV and PDF, totals to the cent, reach."""

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
from reporting.exports.cells import safe_text
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = "2026-06-30"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ledger(eur_rates):
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    hostile = CustomerFactory(name='=HYPERLINK("http://evil")', assigned_collector=alice)
    plain = CustomerFactory(name="Plain Co", assigned_collector=alice)
    euro = CustomerFactory(
        name="@Euro Co", currency=Currency.objects.get(code="EUR"), assigned_collector=bob
    )
    invoice(hostile, "1234.56", number="-INV-1", issue_date=datetime.date(2026, 3, 1))
    invoice(plain, "0.10", number="+INV-2", issue_date=datetime.date(2026, 6, 20))
    invoice(plain, "0.20", number="INV-3", issue_date=datetime.date(2026, 1, 2))
    invoice(euro, "333.33", number="@INV-4", issue_date=datetime.date(2026, 5, 1))
    return {"alice": alice, "bob": bob}


def _run(user, kind, fmt, **parameters):
    job = ExportJob.objects.create(
        user=user, kind=kind, format=fmt, parameters={"as_of": AS_OF, **parameters}
    )
    job = export_run(job.pk)
    assert (job.status, job.progress) == ("done", 100), job.error
    return export_path(job)


def _db_total_usd():
    """Σ open amount converted at 1.20 (EUR on the as-of date), to the cent."""
    usd = Invoice.objects.filter(currency="USD").aggregate(t=Sum("open_amount"))["t"]
    eur = Invoice.objects.filter(currency="EUR").aggregate(t=Sum("open_amount"))["t"]
    return usd + (eur * Decimal("1.20")).quantize(Decimal("0.01"))


def test_safe_text_defuses_formula_triggers_only():
    assert [safe_text(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\0x", "Acme"]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\0x",
        "Acme",
    ]


def test_detail_xlsx_has_frozen_header_numeric_amounts_and_a_totals_row(ledger):
    finance = user_in_role(roles.FINANCE, "fin")

    path = _run(finance, "detail", "xlsx")

    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.freeze_panes == "A3"
    assert rows[0][0] == (
        "Aging detail as of 2026-06-30 · due date basis · amounts in USD · no filter"
    )
    assert rows[1] == (
        "Customer ref",
        "Customer",
        "Invoice",
        "Issue date",
        "Due date",
        "Days past due",
        "Bucket",
        "Currency",
        "Open amount",
        "Open amount (USD)",
        "Last activity",
        "Disputed amount",
    )
    body, totals = rows[2:6], rows[6:]
    assert {r[1] for r in body} == {'\'=HYPERLINK("http://evil")', "Plain Co", "'@Euro Co"}
    assert {r[2] for r in body} == {"'-INV-1", "'+INV-2", "INV-3", "'@INV-4"}
    assert all(isinstance(r[9], int | float) for r in body)
    assert sheet.cell(row=3, column=10).number_format == "#,##0.00"
    assert [r[0] for r in totals] == ["Total EUR", "Total USD", "Grand total (USD)"]
    assert sheet.cell(row=7, column=9).value == '=SUMIF($H$3:$H$6,"EUR",I3:I6)'
    assert sheet.cell(row=9, column=10).value.startswith("=SUBTOTAL(9,J3:J6)")
    assert sheet.cell(row=9, column=9).value is None  # no sum across currencies
    total = sum(Decimal(str(r[9])) for r in body).quantize(Decimal("0.01"))
    assert total == _db_total_usd() == Decimal("1634.86")


def test_summary_xlsx_totals_row_carries_the_total_as_a_number(ledger):
    finance = user_in_role(roles.FINANCE, "fin")

    path = _run(finance, "summary", "xlsx", grouping="currency")

    workbook = openpyxl.load_workbook(path)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == (
        "Aging summary by currency as of 2026-06-30 · due date basis · amounts in USD · no filter"
    )
    assert [r[0] for r in rows[1:]] == ["Group", "EUR", "USD", "Total"]
    assert rows[2][8] == "333.33 EUR"
    totals_cell = workbook.active.cell(row=5, column=8)
    assert totals_cell.value == "=SUBTOTAL(9,H3:H4)"
    assert Decimal(str(rows[2][7])) + Decimal(str(rows[3][7])) == Decimal("1634.86")


def test_detail_csv_neutralises_text_and_keeps_amounts_numeric(ledger):
    finance = user_in_role(roles.FINANCE, "fin")

    path = _run(finance, "detail", "csv")

    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    body, grand = rows[2:-3], rows[-1]
    assert {r[1] for r in body} == {'\'=HYPERLINK("http://evil")', "Plain Co", "'@Euro Co"}
    assert {r[2] for r in body} == {"'-INV-1", "'+INV-2", "INV-3", "'@INV-4"}
    assert sorted(r[9] for r in body) == ["0.10", "0.20", "1234.56", "400.00"]
    assert grand[0] == "Grand total (USD)"
    assert Decimal(grand[9]) == sum(Decimal(r[9]) for r in body) == _db_total_usd()


def test_summary_pdf_shows_every_group_and_the_total(ledger):
    finance = user_in_role(roles.FINANCE, "fin")

    path = _run(finance, "summary", "pdf")

    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Aging summary by customer as of 2026-06-30" in text
    assert "Plain Co" in text
    assert "@Euro Co" in text
    assert "1,634.86" in text


def test_a_collector_exports_only_their_portfolio(ledger):
    path = _run(ledger["alice"], "detail", "csv")

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert {r[1] for r in rows[2:-2]} == {'\'=HYPERLINK("http://evil")', "Plain Co"}
    assert rows[-1][9] == "1234.86"


def test_an_export_with_no_rate_fails_with_the_reason(db):
    finance = user_in_role(roles.FINANCE, "fin")
    invoice(CustomerFactory(currency=Currency.objects.get(code="CAD")), "10.00")
    job = ExportJob.objects.create(
        user=finance, kind="detail", format="csv", parameters={"as_of": AS_OF}
    )

    job = export_run(job.pk)

    assert job.status == "failed"
    assert "CAD" in job.error


def test_running_a_finished_job_again_writes_nothing(ledger):
    finance = user_in_role(roles.FINANCE, "fin")
    path = _run(finance, "detail", "csv")
    job = ExportJob.objects.get()
    path.unlink()

    again = export_run(job.pk)

    assert again.status == "done"
    assert not path.exists()
