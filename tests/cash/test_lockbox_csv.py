"""Lockbox (fixed width) and CSV bank files with a saved column mapping: read, matched,
idempotent on re-import, refused whole with the line and record of a bad row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from cash import services
from cash.bankfiles import BankFileError, parse
from cash.models import BankCsvMapping, BankImport, BankTransaction
from invoices.models import Application, Payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db


def cheque(batch: str, item: str, cents: int, serial: str, name: str = "") -> str:
    return f"6{batch}{item}{cents:010d}021000021{'0012345678':>10}{serial:>15}{name:<30}"


def slip(batch: str, item: str, number: str, cents: int | None = None) -> str:
    paid = f"{cents:010d}" if cents is not None else ""
    return f"4{batch}{item}{number:<15}{paid}"


def lockbox(records: list[str], *, count: int | None = None, total: int | None = None) -> bytes:
    cheques = [r for r in records if r.startswith("6")]
    count = len(cheques) if count is None else count
    total = sum(int(r[7:17]) for r in cheques) if total is None else total
    lines = ["10000012345260302USD", *records, f"9{count:04d}{total:012d}"]
    return ("\r\n".join(lines) + "\r\n").encode()


DAY = [
    cheque("001", "001", 25000, "100234", "ACME TOOLS"),
    slip("001", "001", "INV-0002", 25000),
    cheque("001", "002", 50000, "100235", "ACME TOOLS"),
    slip("001", "002", "INV-0001"),
    slip("001", "002", "INV-0003"),
]


def test_a_lockbox_file_is_recognised_and_read():
    fmt, lines = parse(lockbox(DAY))

    assert fmt == "lockbox"
    assert [
        (line.line, line.reference, line.amount, line.payer_name, line.remittance) for line in lines
    ] == [
        (2, "0000012345-260302-001-001-100234", Decimal("250.00"), "ACME TOOLS", "INV-0002"),
        (
            4,
            "0000012345-260302-001-002-100235",
            Decimal("500.00"),
            "ACME TOOLS",
            "INV-0001 INV-0003",
        ),
    ]
    assert {line.account for line in lines} == {"LOCKBOX 0000012345"}


def err(line: int, record: str, reason: str) -> dict:
    return {"line": line, "record": record, "reason": reason}


BAD_AMOUNT = cheque("001", "001", 25000, "1").replace("0000025000", "00000250O0")
MALFORMED = {
    "total": (
        lockbox(DAY, total=1),
        err(7, "9", "the trailer total is 0.01 but the cheques add up to 750.00"),
    ),
    "count": (lockbox(DAY, count=3), err(7, "9", "the trailer counts 3 cheques, the file has 2")),
    "truncated": (
        b"\n".join(lockbox(DAY).splitlines()[:-1]),
        err(6, "9", "the file ends without its 9 trailer (truncated?)"),
    ),
    "short-record": (
        lockbox([DAY[0][:40]], total=0, count=0),
        err(2, "6", "the record is 36 characters; a 6 record has at least 51"),
    ),
    "bad-amount": (
        lockbox([BAD_AMOUNT], total=0, count=1),
        err(2, "6", "amount (columns 8-17) '00000250O0' is not a number"),
    ),
    "orphan-invoice": (
        lockbox([slip("001", "001", "INV-0002")]),
        err(2, "4", "invoice record for batch 001 item 001 does not follow its cheque (6) record"),
    ),
    "unknown-record": (
        lockbox([*DAY, "7 something"]),
        err(7, "7", "unknown record type '7' (1, 6, 4 or 9)"),
    ),
}


@pytest.mark.parametrize(("content", "error"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_lockbox_file_is_refused_naming_line_and_record(content, error):
    with pytest.raises(BankFileError) as refused:
        parse(content)

    assert refused.value.errors[0] == error


def test_a_lockbox_import_applies_the_slips_invoices_and_reimports_nothing(acme, acme_invoices):
    for _ in range(2):
        job = services.bank_import_upload(actor=None, file_name="lbx.txt", content=lockbox(DAY))
        services.bank_import_process(bank_import_id=job.pk)

    first, second = BankImport.objects.order_by("id")
    assert (first.format, first.credits_posted, first.applied_automatically) == ("lockbox", 2, 2)
    assert (second.credits_posted, second.already_imported) == (0, 2)
    assert sorted(Application.objects.values_list("invoice__number", "amount")) == [
        ("INV-0001", Decimal("100.00")),
        ("INV-0002", Decimal("250.00")),
        ("INV-0003", Decimal("400.00")),
    ]


@pytest.fixture
def mapping(db):
    return BankCsvMapping.objects.create(
        name="Sparkasse export",
        account="DE89370400440532013000",
        delimiter=";",
        date_column="Buchungstag",
        date_format="%d.%m.%Y",
        amount_column="Betrag",
        decimal_comma=True,
        currency_column="Waehrung",
        reference_column="Referenz",
        payer_name_column="Auftraggeber",
        payer_account_column="IBAN",
        remittance_column="Verwendungszweck",
    )


CSV = (
    b"Buchungstag;Betrag;Waehrung;Referenz;Auftraggeber;IBAN;Verwendungszweck\n"
    b"02.03.2026;250,00;USD;SPK-1;Acme Tools Inc.;DE11;Rg.-Nr. INV-0002\n"
    b"02.03.2026;-12,50;USD;SPK-2;;;Kontofuehrung\n"
    b"02.03.2026;1.100,00;USD;SPK-3;Zeta GmbH;DE99;Spende\n"
)


def test_a_csv_file_is_read_with_its_bank_mapping(mapping):
    fmt, lines = parse(CSV, csv_mapping=mapping)

    assert fmt == "csv"
    assert [(line.line, line.reference, line.direction, line.amount) for line in lines] == [
        (2, "SPK-1", "credit", Decimal("250.00")),
        (3, "SPK-2", "debit", Decimal("12.50")),
        (4, "SPK-3", "credit", Decimal("1100.00")),
    ]
    assert lines[0].remittance == "Rg.-Nr. INV-0002"


def test_a_bad_csv_cell_refuses_the_file_naming_line_and_column(mapping):
    bad = CSV.replace(b"02.03.2026;1.100,00", b"2026-03-02;1.100,00").replace(
        b"-12,50", b"zw\xc3\xb6lf"
    )

    with pytest.raises(BankFileError) as refused:
        parse(bad, csv_mapping=mapping)

    assert refused.value.errors == [
        {"line": 3, "record": "amount", "reason": "'zwölf' is not an amount"},
        {"line": 4, "record": "date", "reason": "'2026-03-02' is not a date as %d.%m.%Y"},
    ]


def test_a_mapping_naming_a_missing_column_refuses_the_file(mapping):
    mapping.remittance_column = "Zweck"

    with pytest.raises(BankFileError) as refused:
        parse(CSV, csv_mapping=mapping)

    assert refused.value.errors == [
        {
            "line": 1,
            "record": "remittance",
            "reason": "the file has no column 'Zweck' for the remittance",
        }
    ]


def test_finance_saves_a_mapping_and_uploads_a_csv_file_with_it(
    finance, acme, acme_invoices, mapping, eager, django_capture_on_commit_callbacks
):
    client = logged_in(finance)
    response = client.post(
        reverse("cash_csv_mappings"),
        {
            "name": "Plain bank",
            "account": "US00PLAIN",
            "delimiter": ",",
            "has_header": "",
            "date_column": "1",
            "date_format": "%Y-%m-%d",
            "amount_column": "2",
            "currency": "USD",
            "reference_column": "3",
            "remittance_column": "4",
        },
    )
    assert response.status_code == 302
    plain = BankCsvMapping.objects.get(name="Plain bank")
    assert AuditEntry.objects.filter(action="csv_mapping.save").count() == 1
    page = client.get(reverse("cash_csv_mappings"))
    assert b"Plain bank" in page.content

    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"2026-03-02,400.00,PLN-1,INV-0003\n2026-03-02,100.00,PLN-2,INV-0001\n"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("cash_imports"),
                {"file": SimpleUploadedFile("plain.csv", content), "csv_mapping": plain.pk},
            )

    first, second = BankImport.objects.order_by("id")
    assert (first.format, first.status, first.applied_automatically) == ("csv", "done", 2)
    assert (second.already_imported, Payment.objects.count()) == (2, 2)
    assert BankTransaction.objects.filter(account="US00PLAIN").count() == 2


def test_a_mapping_without_any_currency_is_refused(finance):
    response = logged_in(finance).post(
        reverse("cash_csv_mappings"),
        {"name": "No currency", "account": "X", "delimiter": ",", "date_column": "1",
         "date_format": "%Y-%m-%d", "amount_column": "2"},
    )  # fmt: skip

    assert response.status_code == 400
    assert b"name the currency column, or the one currency of the files" in response.content
    assert BankCsvMapping.objects.count() == 0
