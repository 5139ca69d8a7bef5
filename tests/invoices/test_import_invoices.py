import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.models import AuditEntry, Customer
from invoices.imports import import_invoices
from invoices.models import Application, Invoice, Payment
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

HEADER = "invoice_number,customer_ref,issue_date,due_date,amount,currency,po_number"


def write_csv(tmp_path, *lines: str, encoding: str = "utf-8"):
    path = tmp_path / "invoices.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def record_counts() -> dict[str, int]:
    models = [Customer, Invoice, Payment, Application, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


def rejection(path) -> list[tuple]:
    before = record_counts()
    with pytest.raises(ImportRejected) as caught:
        import_invoices(path)
    assert record_counts() == before
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


@pytest.fixture
def acme():
    return CustomerFactory(external_ref="ACME")


def test_invoices_file_creates_each_invoice_through_the_service(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "0000611365,ACME,2026-01-02,2026-02-01,55.94,USD,PO-7",
        "INV-2,ACME,2026-01-15,2026-02-14,1200,eur,",
    )

    result = import_invoices(path, actor=user_in_role(roles.FINANCE, "fiona"))

    assert str(result) == "invoices: 2 created, 0 updated, 0 unchanged"
    assert list(
        Invoice.objects.order_by("number").values_list(
            "number",
            "customer__external_ref",
            "issue_date",
            "due_date",
            "amount",
            "open_amount",
            "currency",
            "po_number",
        )
    ) == [
        (
            "0000611365",
            "ACME",
            datetime.date(2026, 1, 2),
            datetime.date(2026, 2, 1),
            Decimal("55.94"),
            Decimal("55.94"),
            "USD",
            "PO-7",
        ),
        (
            "INV-2",
            "ACME",
            datetime.date(2026, 1, 15),
            datetime.date(2026, 2, 14),
            Decimal("1200.00"),
            Decimal("1200.00"),
            "EUR",
            "",
        ),
    ]
    assert list(AuditEntry.objects.values_list("action", "actor__username")) == [
        ("invoice.create", "fiona"),
        ("invoice.create", "fiona"),
    ]


def test_importing_the_same_invoices_twice_creates_them_once(tmp_path, acme):
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-01-02,2026-02-01,55.94,USD,PO-7")
    import_invoices(path)
    after_first = record_counts()

    result = import_invoices(path)

    assert str(result) == "invoices: 0 created, 0 updated, 1 unchanged"
    assert record_counts() == after_first
    assert after_first["Invoice"] == 1


def test_an_existing_invoice_with_different_data_is_refused_by_column(tmp_path, acme):
    invoice(acme, "100.00", number="INV-1", issue_date=datetime.date(2026, 1, 1))
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-01-01,2026-02-01,120.00,USD,")

    assert rejection(path) == [
        (
            2,
            "due_date",
            "invoice INV-1 is already in Dunwell with due_date 2026-01-31, the file says "
            "2026-02-01; an import does not change it",
        ),
        (
            2,
            "amount",
            "invoice INV-1 is already in Dunwell with amount 100.00, the file says 120.00; "
            "an import does not change it",
        ),
    ]


@pytest.mark.parametrize(
    ("issue_date", "reason"),
    [
        ("2026-02-30", "'2026-02-30' is not a real date"),
        ("03/04/2026", "'03/04/2026' is not a date as YYYY-MM-DD, e.g. 2026-03-31"),
        ("2026-3-4", "'2026-3-4' is not a date as YYYY-MM-DD, e.g. 2026-03-31"),
        ("", "is required: a date as YYYY-MM-DD, e.g. 2026-03-31"),
    ],
)
def test_a_wrong_or_blank_date_is_refused(tmp_path, acme, issue_date, reason):
    path = write_csv(tmp_path, HEADER, f"INV-1,ACME,{issue_date},2026-04-30,10.00,USD,")

    assert rejection(path) == [(2, "issue_date", reason)]


def test_a_due_date_before_the_issue_date_is_refused(tmp_path, acme):
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-03-01,2026-02-28,10.00,USD,")

    assert rejection(path) == [(2, "due_date", "2026-02-28 is before the issue date 2026-03-01")]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("-5.00", "'-5.00' is not allowed; it must be greater than zero"),
        ("0", "'0' is not allowed; it must be greater than zero"),
        (
            "12,50",
            "'12,50' is not an amount; write digits with a dot before the cents, e.g. 1234.50, "
            "without currency signs or thousands separators",
        ),
        (
            "$10",
            "'$10' is not an amount; write digits with a dot before the cents, e.g. 1234.50, "
            "without currency signs or thousands separators",
        ),
        ("10.005", "'10.005' has more than two decimal places"),
        (
            "1e3",
            "'1e3' is not an amount; write digits with a dot before the cents, e.g. 1234.50, "
            "without currency signs or thousands separators",
        ),
        ("", "is required"),
    ],
)
def test_a_negative_zero_or_non_numeric_amount_is_refused(tmp_path, acme, amount, reason):
    path = write_csv(tmp_path, HEADER, f'INV-1,ACME,2026-03-01,2026-03-31,"{amount}",USD,')

    assert rejection(path) == [(2, "amount", reason)]


def test_yen_amounts_with_cents_are_refused(tmp_path, acme):
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-03-01,2026-03-31,100.50,JPY,")

    assert rejection(path) == [(2, "amount", "JPY amounts have 0 decimal places, not 100.50")]


def test_unknown_customer_and_currency_are_refused(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "INV-1,NOBODY,2026-03-01,2026-03-31,10.00,USD,",
        "INV-2,ACME,2026-03-01,2026-03-31,10.00,EURO,",
    )

    assert rejection(path) == [
        (2, "customer_ref", "unknown customer 'NOBODY' (import the customers file first)"),
        (
            3,
            "currency",
            "unknown currency 'EURO'; known: AUD, CAD, CHF, EUR, GBP, JPY, MXN, NZD, SEK, USD",
        ),
    ]


def test_an_invoice_number_twice_in_the_file_is_refused(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,",
        "INV-2,ACME,2026-03-01,2026-03-31,10.00,USD,",
        "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,",
    )

    assert rejection(path) == [(4, "invoice_number", "'INV-1' is also on row 2")]


def test_every_bad_row_is_reported_together(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,",
        "INV-2,ACME,2026-02-30,2026-03-31,10.00,USD,",
        "INV-3,ACME,2026-03-01,2026-03-31,10.00,USD,",
        'INV-4,ACME,2026-03-01,2026-03-31,-1,USD,"=HYPERLINK(""http://x"")"',
        "INV-5,ACME,2026-03-01,2026-03-31,10.00,USD,,extra",
    )

    assert rejection(path) == [
        (3, "issue_date", "'2026-02-30' is not a real date"),
        (
            5,
            "po_number",
            "'=HYPERLINK(\"http://x\")' looks like a spreadsheet formula; enter the plain value",
        ),
        (5, "amount", "'-1' is not allowed; it must be greater than zero"),
        (6, None, "has 8 cells but the header names 7 columns"),
    ]


def test_a_windows_1252_file_is_refused_naming_the_line(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "INV-1,ACME,2026-03-01,2026-03-31,10.00,EUR,Bestellung Nr° 5",
        encoding="cp1252",
    )

    assert rejection(path) == [
        (
            2,
            None,
            "line 2 is not UTF-8 text: byte 0xB0 after '00,EUR,Bestellung Nr' (the file is "
            "probably Latin-1 or Windows-1252); save the file as UTF-8 (in Excel: Save As > "
            "'CSV UTF-8 (Comma delimited)') and import it again",
        )
    ]


def test_a_byte_order_mark_before_the_header_is_ignored(tmp_path, acme):
    path = write_csv(
        tmp_path, HEADER, "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,", encoding="utf-8-sig"
    )

    assert str(import_invoices(path)) == "invoices: 1 created, 0 updated, 0 unchanged"


def test_a_header_without_required_columns_is_refused(tmp_path, acme):
    path = write_csv(
        tmp_path, "invoice_number,customer,issue_date,amount", "INV-1,ACME,2026-03-01,1"
    )

    assert rejection(path) == [
        (
            1,
            "customer",
            "is not a column of this import; use invoice_number, customer_ref, issue_date, "
            "due_date, amount, currency, po_number",
        ),
        (1, "customer_ref", "is a required column but is missing from the header"),
        (1, "due_date", "is a required column but is missing from the header"),
        (1, "currency", "is a required column but is missing from the header"),
    ]


def test_an_empty_invoices_file_is_refused(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(b"")

    assert rejection(path) == [
        (None, None, f"the file is empty; its first row must be the header: {HEADER}")
    ]


def test_an_invoices_file_over_the_size_limit_is_refused(tmp_path, acme, settings):
    settings.IMPORT_MAX_BYTES = 100
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,")

    assert rejection(path) == [
        (
            None,
            None,
            f"the file is {path.stat().st_size} bytes, more than the import limit of 100 bytes "
            "(IMPORT_MAX_BYTES); split it into smaller files",
        )
    ]


def test_import_invoices_command_prints_the_counts(tmp_path, acme):
    path = write_csv(tmp_path, HEADER, "INV-1,ACME,2026-03-01,2026-03-31,10.00,USD,")
    out = io.StringIO()

    call_command("import_invoices", str(path), stdout=out)

    assert out.getvalue() == "invoices: 1 created, 0 updated, 0 unchanged\n"


def test_import_invoices_command_fails_with_one_line_per_error(tmp_path, acme):
    path = write_csv(
        tmp_path,
        HEADER,
        "INV-1,ACME,03/01/2026,2026-03-31,10.00,USD,",
        "INV-2,ACME,2026-03-01,2026-03-31,abc,USD,",
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="the file has 2 errors"):
        call_command("import_invoices", str(path), stderr=err)

    assert err.getvalue().splitlines() == [
        "row 2, column issue_date: '03/01/2026' is not a date as YYYY-MM-DD, e.g. 2026-03-31",
        "row 3, column amount: 'abc' is not an amount; write digits with a dot before the "
        "cents, e.g. 1234.50, without currency signs or thousands separators",
    ]
    assert Invoice.objects.count() == 0


@pytest.mark.slow
def test_a_50_mb_file_with_one_bad_row_near_the_end_writes_nothing(tmp_path):
    for n in range(20):
        CustomerFactory(external_ref=f"C{n:03d}")
    line = "INV-{0:08d},C{1:03d},2026-01-15,2026-02-14,{2}.25,USD,PO-{0}\r\n"
    path = tmp_path / "big.csv"
    rows = 0
    with path.open("w", encoding="ascii", newline="") as out:
        out.write(HEADER + "\r\n")
        while path.stat().st_size < 50_000_000:
            out.write(
                "".join(line.format(n, n % 20, n % 9000 + 1) for n in range(rows, rows + 10_000))
            )
            out.flush()
            rows += 10_000
        out.write("INV-LAST,C001,2026-01-15,2026-02-31,10.00,USD,\r\n")
        out.write("INV-AFTER,C002,2026-01-15,2026-02-14,10.00,USD,\r\n")
    before = record_counts()
    started = time.monotonic()

    with pytest.raises(ImportRejected) as caught:
        import_invoices(path)

    elapsed = time.monotonic() - started
    assert path.stat().st_size > 50_000_000
    assert [(e.row, e.column, e.reason) for e in caught.value.errors] == [
        (rows + 2, "due_date", "'2026-02-31' is not a real date")
    ]
    assert record_counts() == before
    assert elapsed < 60
