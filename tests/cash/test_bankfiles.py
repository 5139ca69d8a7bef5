"""Reading bank files: the real third-party samples in ../shared/data/bank and our own, and
the refusals that name a line and a record."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from cash.bankfiles import BankFileError, bai2_reader, camt, parse

from .statements import DUNWELL_DAY, Entry, bai2, camt053

REAL_FILES = {
    # file: (credits, debits, first credit as (reference, amount, currency))
    "camt053/moov-io_iso20022__FI_camt_053_sample.xml": (
        6,
        7,
        ("091029ACCTSTMTARCH04", "2000.00", "EUR"),
    ),
    "camt053/moov-io_iso20022__camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml": (  # noqa: E501
        4,
        1,
        ("0758103031480900", "4.50", "CHF"),
    ),
    "camt054/moov-io_iso20022__200924_camt.054_P_CH2909000000250094239_1110092703_0_2019042423412214.xml": (  # noqa: E501
        6,
        0,
        ("0000000000000001", "400.00", "CHF"),
    ),
    "bai2/ministryofjustice_bai2__citi_example.bai2": (1, 0, ("1234567890", "0.01", "GBP")),
    "bai2/ministryofjustice_bai2__svb_us_example.bai2": (2, 0, ("172629", "4901.96", "USD")),
    "bai2/moov-io_bai2__sample2.txt": (4, 0, (None, "4500.00", "USD")),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_bank_files_are_read(shared_data, name):
    credits, debits, (reference, amount, currency) = REAL_FILES[name]

    _fmt, lines = parse((shared_data / "bank" / name).read_bytes())

    assert [line.direction for line in lines].count("credit") == credits
    assert [line.direction for line in lines].count("debit") == debits
    first = next(line for line in lines if line.direction == "credit")
    assert (first.amount, first.currency) == (Decimal(amount), currency)
    if reference:
        assert first.reference == reference
    assert len({(line.account, line.reference) for line in lines}) == len(lines)


def test_a_real_file_whose_trailers_disagree_is_refused_naming_the_lines(shared_data):
    """moov-io's continuation sample: its 49/98/99 totals and counts do not add up."""
    content = shared_data / "bank/bai2/moov-io_bai2__sample4-continuations-newline-delimited.txt"

    with pytest.raises(BankFileError) as refused:
        parse(content.read_bytes())

    assert refused.value.errors[0] == {
        "line": 22,
        "record": "49",
        "reason": "the account control total is -12601613417.62 but its amounts add up to 79999.60",
    }


def test_the_remittance_payer_and_swiss_invoice_reference_are_read(shared_data):
    name = (
        "camt054/moov-io_iso20022__200924_camt.054_P_CH2909000000250094239_1110092703_0_"
        "2019042423412214.xml"
    )
    _fmt, lines = parse((shared_data / "bank" / name).read_bytes())

    assert [(line.payer_name, line.remittance) for line in lines[3:5]] == [
        ("Bernasconi Maria", "Rg.-Nr. 001"),
        ("Bernasconi Maria", "Rg.-Nr. 1234567890"),
    ]


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_our_camt053_is_read_in_every_version(version):
    lines = camt.parse(camt053(version=version))

    assert [(x.reference, x.direction, x.amount, x.payer_name, x.remittance) for x in lines] == [
        ("BNK-0001", "credit", Decimal("250.00"), "Acme Tools Inc.", "INV-0002"),
        ("BNK-0002", "credit", Decimal("100.00"), "ACME TOOLS", "March payment"),
        ("BNK-0003", "credit", Decimal("75.00"), "Zeta Unknown Ltd", "thanks"),
        ("BNK-0004", "debit", Decimal("20.00"), "", "Account fee"),
    ]
    assert lines[0].booking_date == datetime.date(2026, 3, 2)
    assert lines[0].payer_account == "US11ACME"


def test_our_bai2_is_read():
    lines = bai2_reader.parse(bai2())

    assert [(x.line, x.reference, x.direction, x.amount, x.payer_name) for x in lines] == [
        (4, "BNK-0001", "credit", Decimal("250.00"), "Acme Tools Inc."),
        (6, "BNK-0002", "credit", Decimal("100.00"), "ACME TOOLS"),
        (8, "BNK-0003", "credit", Decimal("75.00"), "Zeta Unknown Ltd"),
        (10, "BNK-0004", "debit", Decimal("20.00"), ""),
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            camt053(version="09"),
            {
                "line": 2,
                "record": "Document",
                "reason": "camt.053.001.09 is not a version Dunwell reads (.001.02 to .001.08)",
            },
        ),
        (
            camt053()[:-300],
            {
                "line": 60,
                "record": "XML",
                "reason": "the file is not well-formed XML (truncated?): Premature end of data "
                "in tag Amt line 60",
            },
        ),
        (
            camt053(count=5),
            {
                "line": 12,
                "record": "TxsSummry/TtlNtries/NbOfNtries",
                "reason": "the statement says 5 entries but holds 4",
            },
        ),
        (
            camt053(closing="999.99"),
            {
                "line": 10,
                "record": "Bal/CLBD",
                "reason": "opening balance 1000.00 + credits 425.00 - debits 20.00 is 1405.00, "
                "but the closing balance is 999.99",
            },
        ),
        (
            camt053([Entry("X", "1.005")]),
            {
                "line": 15,
                "record": "Ntry/Amt",
                "reason": "'1.005' has more decimals than USD has (2)",
            },
        ),
        (
            bai2(file_total=1),
            {
                "line": 13,
                "record": "99",
                "reason": "the file control total is 0.01 but its amounts add up to 1445.00",
            },
        ),
        (
            b"\n".join(bai2().splitlines()[:-1]),
            {
                "line": 12,
                "record": "99",
                "reason": "the file ends without its 99 trailer record (truncated?)",
            },
        ),
        (
            bai2().replace(b"16,195,25000", b"16,195,25O00"),
            {
                "line": 4,
                "record": "16",
                "reason": "amount '25O00' is not a whole number of USD minor units",
            },
        ),
        (
            b"date,amount\n2026-01-01,5\n",
            {
                "line": 1,
                "record": "",
                "reason": "not a bank file Dunwell reads: expected camt.053/camt.054 XML, "
                "BAI2 (starting with an 01 record), MT940 (starting with :20:), a lockbox file "
                "(starting with its 1 header record) or a CSV file with a saved column mapping",
            },
        ),
    ],
    ids=[
        "unknown-version",
        "truncated-xml",
        "entry-count",
        "closing-balance",
        "sub-cent",
        "bai2-file-total",
        "bai2-truncated",
        "bai2-bad-amount",
        "not-a-bank-file",
    ],
)
def test_a_malformed_file_is_refused_naming_line_and_record(content, error):
    with pytest.raises(BankFileError) as refused:
        parse(content)

    assert refused.value.errors[0] == error


def test_a_reference_repeated_within_a_file_is_kept_apart_the_same_way_each_time():
    twice = [*DUNWELL_DAY[:1], Entry("BNK-0001", "5.00", text="second")]

    first = [line.reference for line in camt.parse(camt053(twice))]
    again = [line.reference for line in camt.parse(camt053(twice))]

    assert first == again == ["BNK-0001", "BNK-0001#2"]


def _first_statement(content: bytes) -> bytes:
    second = content.index(b"\n:20:", 1)
    return content[: second + 1]


@pytest.mark.parametrize(
    ("name", "credits", "first"),
    [
        (
            "WoLpH_mt940__jejik_postfinance.sta",
            2,
            ("01916", "79.70", "CHF", "JANE DOE EXAMPLESTRASSE"),
        ),
        (
            "WoLpH_mt940__betterplace_sepa_snippet.sta",
            3,
            ("0724710333343453", "50990.05", "EUR", "DE14508800500194785000KARL KAUFMANN"),
        ),
    ],
)
def test_real_mt940_statements_are_read(shared_data, name, credits, first):
    content = _first_statement((shared_data / "bank/mt940" / name).read_bytes())

    fmt, lines = parse(content)

    assert fmt == "mt940"
    assert [line.direction for line in lines].count("credit") == credits
    reference, amount, currency, payer = first
    assert (lines[0].reference, lines[0].amount, lines[0].currency, lines[0].payer_name) == (
        reference,
        Decimal(amount),
        currency,
        payer,
    )


@pytest.mark.parametrize(
    ("name", "error"),
    [
        (
            "WoLpH_mt940__jejik_postfinance.sta",
            {
                "line": 27,
                "record": ":62F:",
                "reason": "opening balance 229.2 + movements -69.8 is 159.4, but the closing "
                "balance is 159.6",
            },
        ),
        (
            "WoLpH_mt940__betterplace_sepa_snippet.sta",
            {
                "line": 55,
                "record": ":62F:",
                "reason": "opening balance -1970431.87 + movements -2501917.30 is -4472349.17, "
                "but the closing balance is -4472049.09",
            },
        ),
    ],
)
def test_a_real_mt940_statement_that_does_not_reconcile_refuses_the_file(shared_data, name, error):
    """Both anonymised samples hold a second statement whose balances do not add up."""
    with pytest.raises(BankFileError) as refused:
        parse((shared_data / "bank/mt940" / name).read_bytes())

    assert refused.value.errors == [error]


def test_a_truncated_mt940_statement_is_refused():
    content = (
        b":20:STMT1\n:25:123456789\n:28C:1/1\n:60F:C260301USD100,00\n"
        b":61:2603010301C5,00NTRFNONREF//B1\n:86:INV-0001\n"
    )

    with pytest.raises(BankFileError) as refused:
        parse(content)

    assert refused.value.errors == [
        {
            "line": 1,
            "record": ":60F:/:62F:",
            "reason": "the statement lacks its opening or closing balance (truncated?)",
        }
    ]
