"""BAI2 cash-management files (version 2), read record by record so that every refusal can
name its line: 01 file header, 02 group, 03 account, 16 transaction, 88 continuation,
49 account trailer, 98 group trailer, 99 file trailer. The transaction type codes
(credit or debit, and what they mean) come from the ``bai2`` package's table.

Checks that refuse a file: a missing or misplaced record (a truncated file has no 99),
an unknown record or type code, amounts and dates that do not parse, and every control
total and record count in the 49, 98 and 99 trailers.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from bai2.constants import TypeCodes, TypeCodeTransaction

from accounts.money import minor_unit

from . import BankFileError, StatementLine, problem, unique_references

TYPE_CODES = TypeCodes  # code -> TypeCode(code, transaction, level, description)
PAYER = re.compile(r"\b(?:DBNM|ORIG(?:INATOR)?|FROM|B/O|BY ORDER OF)\s*[:=]\s*([^,;/]+)", re.I)


@dataclass
class _Record:
    code: str
    fields: list[str]
    line: int
    physical: int = 1  # records it was written in: itself and its 88 continuations
    text_parts: list[str] = field(default_factory=list)


def parse(content: bytes) -> list[StatementLine]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    records, errors = _records(text)
    if errors:
        raise BankFileError(errors)
    lines = _walk(records, errors)
    if errors:
        raise BankFileError(errors)
    return unique_references(lines)


def _records(text: str) -> tuple[list[_Record], list[dict]]:
    """Physical lines into logical records, 88 continuations joined to the one before."""
    records: list[_Record] = []
    errors: list[dict] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.endswith("/"):
            line = line[:-1]
        code, _, rest = line.partition(",")
        if code == "88":
            if not records:
                errors.append(problem(number, "88", "a continuation before any record"))
                continue
            previous = records[-1]
            previous.physical += 1
            if previous.code == "16":
                previous.text_parts.append(rest.strip())
            else:
                previous.fields.extend(rest.split(","))
            continue
        if code not in {"01", "02", "03", "16", "49", "98", "99"}:
            errors.append(problem(number, code, f"unknown BAI2 record type {code!r}"))
            continue
        records.append(_Record(code=code, fields=rest.split(","), line=number))
    return records, errors


def _walk(records: list[_Record], errors: list[dict]) -> list[StatementLine]:
    out: list[StatementLine] = []
    expected = "01"
    file_total = Decimal(0)
    file_records = 0
    groups = 0
    group = account = None
    for record in records:
        file_records += record.physical
        allowed = {
            "01": {"01"},
            "02": {"02", "99"},
            "03": {"03", "98"},
            "16": {"16", "49"},
        }[expected]
        if record.code not in allowed:
            errors.append(
                problem(
                    record.line,
                    record.code,
                    f"record {record.code} where {' or '.join(sorted(allowed))} was expected",
                )
            )
            return out
        if record.code == "01":
            if _field(record, 7) not in ("2", ""):
                errors.append(problem(record.line, "01", "only BAI version 2 is read"))
                return out
            expected = "02"
        elif record.code == "02":
            groups += 1
            day = _date(record, 3, errors)
            group = {
                "date": day,
                "currency": _field(record, 5) or "USD",
                "total": Decimal(0),
                "accounts": 0,
                "records": record.physical,
            }
            expected = "03"
        elif record.code == "03":
            group["accounts"] += 1
            group["records"] += record.physical
            currency = (_field(record, 1) or group["currency"]).upper()
            account = {
                "number": _field(record, 0),
                "currency": currency,
                "total": _summary_total(record, currency, errors),
                "records": record.physical,
            }
            expected = "16"
        elif record.code == "16":
            account["records"] += record.physical
            group["records"] += record.physical
            line = _transaction(record, account, group, errors)
            if line is not None:
                account["total"] += line[1]
                if line[0] is not None:
                    out.append(line[0])
        elif record.code == "49":
            account["records"] += record.physical
            group["records"] += record.physical
            _control(record, 0, account["total"], account["currency"], errors, "account")
            _count(record, 1, account["records"], errors, "records in the account")
            # group and file control totals add the amounts as written (whole minor units,
            # whatever each account's currency): kept as integers
            group["total"] += int(account["total"].scaleb(minor_unit(account["currency"])))
            expected = "03"
        elif record.code == "98":
            group["records"] += record.physical
            _control(record, 0, group["total"], group["currency"], errors, "group", raw=True)
            _count(record, 1, group["accounts"], errors, "accounts in the group")
            _count(record, 2, group["records"], errors, "records in the group")
            file_total += group["total"]
            expected = "02"
        elif record.code == "99":
            _control(record, 0, file_total, "USD", errors, "file", raw=True)
            _count(record, 1, groups, errors, "groups in the file")
            _count(record, 2, file_records, errors, "records in the file")
            expected = "done"
            break
        if record.code == "16":
            expected = "16"
    if expected != "done" and not errors:
        last = records[-1].line if records else 1
        errors.append(
            problem(last, "99", "the file ends without its 99 trailer record (truncated?)")
        )
    return out


def _transaction(record, account, group, errors):
    code = _field(record, 0)
    type_code = TYPE_CODES.get(code)
    number = int(code) if code.isdigit() else -1
    if type_code is not None:
        credit = type_code.transaction == TypeCodeTransaction.credit
        description = type_code.description
    elif 100 <= number <= 399 or 900 <= number <= 949:
        credit, description = True, "credit"
    elif 400 <= number <= 699 or 950 <= number <= 999:
        credit, description = False, "debit"
    else:
        errors.append(problem(record.line, "16", f"unknown transaction type code {code!r}"))
        return None
    amount = _amount(record, 1, account["currency"], errors)
    if amount is None:
        return None
    position = 3
    funds = _field(record, 2).upper()
    if funds == "S":
        position += 3
    elif funds == "V":
        position += 2
    elif funds == "D":
        count = _field(record, 3)
        position += 1 + 2 * (int(count) if count.isdigit() else 0)
    bank_ref = _field(record, position)
    customer_ref = _field(record, position + 1)
    text = ",".join(record.fields[position + 2 :]).strip()
    text = " ".join(part for part in [text, *record.text_parts] if part).strip()
    if amount == 0:
        return (None, amount)
    direction = "credit" if credit else "debit"
    lowered = description.lower()
    returned = any(word in lowered for word in ("return", "reject", "reversal"))
    kind = "return" if returned else ("payment" if credit else "other")
    reference = bank_ref or customer_ref
    if not reference:
        fingerprint = f"{account['number']}|{group['date']}|{record.line}|{amount}|{text}"
        reference = "H" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
    payer = PAYER.search(text)
    remittance = " ".join(part for part in (customer_ref, text) if part)
    return (
        StatementLine(
            line=record.line,
            account=account["number"][:60],
            reference=reference[:120],
            direction=direction,
            kind=kind,
            booking_date=group["date"] or datetime.date.today(),
            amount=amount,
            currency=account["currency"],
            bank_code=f"BAI {code} {description}"[:40],
            payer_name=(payer.group(1).strip() if payer else "")[:200],
            remittance=remittance,
        ),
        amount,
    )


def _summary_total(record, currency, errors) -> Decimal:
    """The 03 record's amounts (type code, amount, count, funds type, ...) count in the
    account's control total."""
    total = Decimal(0)
    fields = record.fields[2:]
    i = 0
    while i < len(fields):
        code = fields[i].strip()
        if not code:
            # defaulted fields between summaries ("03,acct,USD,,,,,060,...", "...,,,/" + 88)
            i += 1
            continue
        amount_text = fields[i + 1].strip() if i + 1 < len(fields) else ""
        if amount_text:
            value = _to_amount(amount_text, currency)
            if value is None:
                errors.append(problem(record.line, "03", f"{amount_text!r} is not an amount"))
            else:
                total += value
        funds = fields[i + 3].strip().upper() if i + 3 < len(fields) else ""
        i += 4
        if funds == "S":
            i += 3
        elif funds == "V":
            i += 2
        elif funds == "D":
            count = fields[i].strip() if i < len(fields) else "0"
            i += 1 + 2 * (int(count) if count.isdigit() else 0)
    return total


def _field(record: _Record, index: int) -> str:
    return record.fields[index].strip() if index < len(record.fields) else ""


def _to_amount(text: str, currency: str) -> Decimal | None:
    if not re.fullmatch(r"[+-]?\d+", text):
        return None
    # BAI2 amounts are whole minor units: the currency's own (3 for BHD, 0 for JPY)
    return Decimal(int(text)).scaleb(-minor_unit(currency))


def _amount(record, index, currency, errors) -> Decimal | None:
    text = _field(record, index)
    value = _to_amount(text, currency)
    if value is None or value < 0:
        errors.append(
            problem(
                record.line,
                record.code,
                f"amount {text!r} is not a whole number of {currency} minor units",
            )
        )
        return None
    return value


def _date(record, index, errors) -> datetime.date | None:
    text = _field(record, index)
    try:
        return datetime.datetime.strptime(text, "%y%m%d").date()
    except ValueError:
        errors.append(problem(record.line, record.code, f"{text!r} is not a date as YYMMDD"))
        return None


def _control(
    record, index, total: Decimal | int, currency: str, errors, what: str, raw: bool = False
) -> None:
    """A trailer's control total against what its records add up to; ``raw``: both in the
    file's whole minor units (a group or file of several currencies), shown as written when
    they differ, in the currency otherwise."""
    text = _field(record, index)
    stated = _to_amount(text, currency) if text else None
    if raw and stated is not None:
        stated, total = int(text), int(total)
        if stated != total:
            places = minor_unit(currency)
            stated, total = Decimal(stated).scaleb(-places), Decimal(total).scaleb(-places)
    if stated is None:
        errors.append(problem(record.line, record.code, f"the {what} control total is missing"))
    elif stated != total:
        errors.append(
            problem(
                record.line,
                record.code,
                f"the {what} control total is {stated} but its amounts add up to {total}",
            )
        )


def _count(record, index, actual: int, errors, what: str) -> None:
    text = _field(record, index)
    if text.isdigit() and int(text) != actual:
        errors.append(
            problem(record.line, record.code, f"the trailer says {text} {what}, found {actual}")
        )
