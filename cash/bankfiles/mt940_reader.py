"""SWIFT MT940 customer statements, read statement by statement with the ``mt-940``
package. Each ``:20:`` starts a statement; its transactions (``:61:`` with their ``:86:``
details) must add up: opening balance (``:60F:``/``:60M:``) + movements = closing balance
(``:62F:``/``:62M:``). Errors name the line of the tag at fault."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal

import mt940

from . import BankFileError, StatementLine, problem, unique_references

NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}
# the ordering party in Swiss/German :86: text, up to its address (the first number)
PAYER = re.compile(r"AUFTRAGGEBER:\s*([^\d]+?)(?:\s+\S*\d|\s+MITTEILUNGEN:|$)")


def parse(content: bytes) -> list[StatementLine]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(":20:")]
    if not starts:
        raise BankFileError([problem(1, ":20:", "no MT940 statement (no :20: tag) in the file")])
    errors: list[dict] = []
    out: list[StatementLine] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        out.extend(_statement(chunk, start + 1, errors))
    if errors:
        raise BankFileError(errors)
    return unique_references(out)


def _statement(chunk: list[str], first_line: int, errors: list[dict]) -> list[StatementLine]:
    tag_lines = {
        tag: [first_line + i for i, line in enumerate(chunk) if line.startswith(tag)]
        for tag in (":60F:", ":60M:", ":61:", ":62F:", ":62M:")
    }
    statement = mt940.models.Transactions(
        processors={
            "pre_statement": [mt940.processors.date_fixup_pre_processor],
            "post_transaction_details": [mt940.processors.transaction_details_post_processor],
        }
    )
    try:
        statement.parse("\n".join(chunk))
    except (RuntimeError, ValueError, KeyError, ArithmeticError) as error:
        # ArithmeticError: decimal's InvalidOperation on an amount like "0,," in a balance
        message = str(error.args[0] if error.args else error).split("\n")[0]
        errors.append(problem(first_line, ":20:", f"the statement does not parse: {message}"))
        return []
    data = statement.data
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    if opening is None or closing is None:
        errors.append(
            problem(
                first_line,
                ":60F:/:62F:",
                "the statement lacks its opening or closing balance (truncated?)",
            )
        )
        return []
    account = str(data.get("account_identification") or "unknown")[:60]
    total = Decimal(0)
    out = []
    tx_lines = tag_lines[":61:"]
    for index, tx in enumerate(statement):
        d = tx.data
        status = str(d.get("status") or "")
        # D and RC (reversal of a credit) take money out; C and RD put it in
        amount = abs(d["amount"].amount) * (-1 if status in ("D", "RC") else 1)
        total += amount
        line = tx_lines[index] if index < len(tx_lines) else first_line
        if amount == 0:
            continue
        direction = "credit" if amount > 0 else "debit"
        kind = "return" if status.startswith("R") else ("payment" if amount > 0 else "other")
        details = " ".join(str(d.get("transaction_details") or "").split())
        remittance = " ".join(
            part
            for part in (
                d.get("purpose"),
                d.get("end_to_end_reference"),
                None if d.get("purpose") else details,
            )
            if part
        )
        payer = d.get("applicant_name") or ""
        if not payer:
            found = PAYER.search(details)
            payer = found.group(1).strip() if found else ""
        reference = next(
            (
                str(d.get(key)).strip()
                for key in ("bank_reference", "customer_reference", "extra_details")
                if str(d.get(key) or "").strip().upper() not in NO_REFERENCE
            ),
            "",
        )
        booked = d.get("entry_date") or d.get("date")
        if not reference:
            fingerprint = f"{account}|{booked}|{line}|{amount}|{remittance}"
            reference = "H" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
        out.append(
            StatementLine(
                line=line,
                account=account,
                reference=reference[:120],
                direction=direction,
                kind=kind,
                booking_date=datetime.date(booked.year, booked.month, booked.day),
                amount=abs(amount),
                currency=str(d["amount"].currency),
                bank_code=f"MT940 {d.get('id') or ''} {d.get('posting_text') or ''}".strip()[:40],
                payer_name=" ".join(str(payer).split())[:200],
                payer_account=str(d.get("applicant_iban") or "")[:60],
                remittance=remittance,
            )
        )
    if opening.amount.amount + total != closing.amount.amount:
        closing_line = (tag_lines[":62F:"] or tag_lines[":62M:"] or [first_line])[0]
        errors.append(
            problem(
                closing_line,
                ":62F:",
                f"opening balance {opening.amount.amount} + movements {total} is "
                f"{opening.amount.amount + total}, but the closing balance is "
                f"{closing.amount.amount}",
            )
        )
    return out
