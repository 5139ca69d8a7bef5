"""A fixed-width lockbox file (the bank opened the envelopes: one detail record per cheque,
the invoices from its remittance slip after it). The layout Dunwell accepts, columns counted
from 1, every amount in whole minor units of the header's currency, zero-padded:

``1`` header (at least 20 characters)
    2-11 lockbox number, 12-17 deposit date YYMMDD, 18-20 currency (ISO 4217)
``6`` cheque (at least 51 characters)
    2-4 batch, 5-7 item, 8-17 amount, 18-26 remitter's bank routing number,
    27-36 remitter's account, 37-51 cheque serial number, 52-81 remitter name (optional)
``4`` invoice on the cheque's slip (at least 8 characters; any number after its ``6``)
    2-4 batch, 5-7 item (the cheque's), 8-22 invoice number, 23-32 amount paid (optional)
``9`` trailer (at least 17 characters)
    2-5 number of cheques, 6-17 their total

Line ends LF, CRLF or CR; trailing spaces may be cut. Each cheque becomes a credit whose bank
reference is ``<lockbox>-<date>-<batch>-<item>-<serial>``; its remittance text lists the
invoices of its ``4`` records, so the matcher reads them like any other. The whole file is
refused, naming line and record, for an unknown record type, a short record, a field that is
not a number or a date, a ``4`` that does not follow its cheque, a missing header or
trailer, or a trailer whose count or total differs.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from accounts.money import minor_unit

from . import BankFileError, StatementLine, problem, unique_references

HEADER = re.compile(rb"^1\d{10}\d{6}[A-Z]{3}")
MIN_LENGTH = {"1": 20, "6": 51, "4": 8, "9": 17}


def looks_like(content: bytes) -> bool:
    return bool(HEADER.match(content.lstrip(b"\xef\xbb\xbf")))


def parse(content: bytes) -> list[StatementLine]:
    text = content.decode("latin-1").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    rows = [(n, line.rstrip()) for n, line in enumerate(text.split("\n"), start=1)]
    rows = [(n, line) for n, line in rows if line]
    errors: list[dict] = []
    header: dict = {}
    cheques: list[dict] = []
    trailer = None
    for n, line in rows:
        kind = line[0]
        if kind not in MIN_LENGTH:
            errors.append(problem(n, kind, f"unknown record type {kind!r} (1, 6, 4 or 9)"))
            continue
        if len(line) < MIN_LENGTH[kind]:
            errors.append(
                problem(
                    n,
                    kind,
                    f"the record is {len(line)} characters; a {kind} record has at least "
                    f"{MIN_LENGTH[kind]}",
                )
            )
            continue
        if trailer is not None:
            errors.append(problem(n, kind, "a record after the 9 trailer"))
        elif kind == "1":
            if header:
                errors.append(problem(n, "1", "a second header record"))
            header = _header(n, line, errors)
        elif not header:
            errors.append(problem(n, kind, "the file does not start with its 1 header record"))
            break
        elif kind == "6":
            cheques.append(_cheque(n, line, header, errors))
        elif kind == "4":
            _invoice(n, line, cheques, errors)
        else:
            trailer = (n, line)
    if not errors and trailer is None:
        last = rows[-1][0] if rows else 1
        errors.append(problem(last, "9", "the file ends without its 9 trailer (truncated?)"))
    if not errors:
        _check_trailer(*trailer, cheques, header, errors)
    if errors:
        raise BankFileError(errors)
    return unique_references([_line(c, header) for c in cheques])


def _number(n, line, start, end, record, what, errors) -> int | None:
    field = line[start - 1 : end].strip()
    if not field.isdigit():
        errors.append(
            problem(n, record, f"{what} (columns {start}-{end}) {field!r} is not a number")
        )
        return None
    return int(field)


def _header(n, line, errors) -> dict:
    try:
        day = datetime.datetime.strptime(line[11:17], "%y%m%d").date()
    except ValueError:
        errors.append(
            problem(n, "1", f"deposit date (columns 12-17) {line[11:17]!r} is not YYMMDD")
        )
        day = None
    return {"lockbox": line[1:11], "date": day, "currency": line[17:20]}


def _cheque(n, line, header, errors) -> dict:
    minor = _number(n, line, 8, 17, "6", "amount", errors)
    amount = None
    if minor is not None:
        amount = Decimal(minor).scaleb(-minor_unit(header["currency"]))
        if amount <= 0:
            errors.append(problem(n, "6", "amount (columns 8-17) is zero"))
    return {
        "line": n,
        "batch": line[1:4],
        "item": line[4:7],
        "amount": amount,
        "minor": minor or 0,
        "routing": line[17:26].strip(),
        "account": line[26:36].strip(),
        "serial": line[36:51].strip(),
        "name": line[51:81].strip(),
        "invoices": [],
    }


def _invoice(n, line, cheques, errors) -> None:
    if not cheques or (cheques[-1]["batch"], cheques[-1]["item"]) != (line[1:4], line[4:7]):
        errors.append(
            problem(
                n,
                "4",
                f"invoice record for batch {line[1:4]} item {line[4:7]} does not "
                "follow its cheque (6) record",
            )
        )
        return
    number = line[7:22].strip()
    if not number:
        errors.append(problem(n, "4", "invoice number (columns 8-22) is empty"))
        return
    paid = line[22:32].strip()
    if paid and not paid.isdigit():
        errors.append(problem(n, "4", f"amount (columns 23-32) {paid!r} is not a number"))
        return
    cheques[-1]["invoices"].append(number)


def _check_trailer(n, line, cheques, header, errors) -> None:
    count = _number(n, line, 2, 5, "9", "number of cheques", errors)
    total = _number(n, line, 6, 17, "9", "total", errors)
    if count is not None and count != len(cheques):
        errors.append(
            problem(n, "9", f"the trailer counts {count} cheques, the file has {len(cheques)}")
        )
    added = sum(c["minor"] for c in cheques)
    if total is not None and total != added:
        places = minor_unit(header["currency"])
        errors.append(
            problem(
                n,
                "9",
                f"the trailer total is {Decimal(total).scaleb(-places)} but the cheques add up "
                f"to {Decimal(added).scaleb(-places)}",
            )
        )


def _line(cheque: dict, header: dict) -> StatementLine:
    reference = "-".join(
        part
        for part in (
            header["lockbox"].strip(),
            header["date"].strftime("%y%m%d"),
            cheque["batch"],
            cheque["item"],
            cheque["serial"],
        )
        if part
    )
    return StatementLine(
        line=cheque["line"],
        account=f"LOCKBOX {header['lockbox'].strip()}",
        reference=reference[:120],
        direction="credit",
        kind="payment",
        booking_date=header["date"],
        amount=cheque["amount"],
        currency=header["currency"],
        bank_code="lockbox",
        payer_name=cheque["name"],
        payer_account=f"{cheque['routing']}/{cheque['account']}".strip("/"),
        remittance=" ".join(cheque["invoices"]),
    )
