"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification), versions
.001.02 to .001.08, read with lxml (no network, no entities).

Checks that refuse a file: XML that does not parse (truncated), an unknown message or
version, an entry without amount, currency, direction or date, the statement's entry count
and sum (``TxsSummry``) when given, and opening balance + credits - debits = closing
balance when both are given.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from accounts.money import minor_unit

from . import BankFileError, StatementLine, problem, unique_references

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.(\d\d)$")
VERSIONS = {"02", "03", "04", "05", "06", "07", "08"}
RETURN_CODES = {"RRTN", "ARET", "RPCR", "DSHN", "CHRG", "RCDD", "UPCQ"}
NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}


class _Doc:
    def __init__(self, namespace: str):
        self.ns = {"c": namespace}

    def all(self, element, path: str):
        return element.findall(self._path(path), self.ns)

    def one(self, element, path: str):
        return element.find(self._path(path), self.ns)

    def text(self, element, path: str) -> str:
        found = self.one(element, path)
        return (found.text or "").strip() if found is not None else ""

    @staticmethod
    def _path(path: str) -> str:
        return "/".join(f"c:{part}" for part in path.split("/"))


def parse(content: bytes) -> list[StatementLine]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or None
        message = re.sub(r", line \d+, column \d+$", "", error.msg or "")
        raise BankFileError(
            [problem(line, "XML", f"the file is not well-formed XML (truncated?): {message}")]
        ) from None
    namespace = etree.QName(root).namespace or ""
    match = NAMESPACE.match(namespace)
    if etree.QName(root).localname != "Document" or match is None:
        raise BankFileError(
            [
                problem(
                    root.sourceline,
                    "Document",
                    f"unknown message {namespace or etree.QName(root).localname!r}: Dunwell "
                    "reads camt.053 and camt.054, versions .001.02 to .001.08",
                )
            ]
        )
    message, version = match.groups()
    if version not in VERSIONS:
        raise BankFileError(
            [
                problem(
                    root.sourceline,
                    "Document",
                    f"camt.{message}.001.{version} is not a version Dunwell reads "
                    "(.001.02 to .001.08)",
                )
            ]
        )
    doc = _Doc(namespace)
    container = "BkToCstmrStmt/Stmt" if message == "053" else "BkToCstmrDbtCdtNtfctn/Ntfctn"
    reports = doc.all(root, container)
    errors: list[dict] = []
    lines: list[StatementLine] = []
    if not reports:
        errors.append(problem(root.sourceline, container, "the file holds no statement"))
    for report in reports:
        lines.extend(_report(doc, report, errors))
    if errors:
        raise BankFileError(errors)
    return unique_references(lines)


def _report(doc: _Doc, report, errors: list[dict]) -> list[StatementLine]:
    account = doc.text(report, "Acct/Id/IBAN") or doc.text(report, "Acct/Id/Othr/Id") or "unknown"
    report_id = doc.text(report, "Id")
    lines: list[StatementLine] = []
    entries = doc.all(report, "Ntry")
    for index, entry in enumerate(entries, start=1):
        lines.extend(_entry(doc, entry, account, report_id, index, errors))
    if not errors:
        _check_summary(doc, report, entries, errors)
        _check_balances(doc, report, entries, errors)
    return lines


def _totals(doc, entries, until: datetime.date | None = None) -> tuple[Decimal, Decimal]:
    """Credits and debits of the entries; with ``until``, only those whose value date is not
    after it (banks differ: some leave forward-value entries out of the closing balance)."""
    credits = debits = Decimal("0")
    for entry in entries:
        if until is not None:
            value_day = doc.text(entry, "ValDt/Dt") or doc.text(entry, "ValDt/DtTm")[:10]
            if value_day and value_day > until.isoformat():
                continue
        amount = Decimal(doc.text(entry, "Amt"))
        if doc.text(entry, "CdtDbtInd") == "CRDT":
            credits += amount
        else:
            debits += amount
    return credits, debits


def _entry(doc, entry, account, report_id, index, errors) -> list[StatementLine]:
    line_no = entry.sourceline
    amount = _amount(doc, entry, "Amt", errors, line_no, "Ntry/Amt")
    currency = _currency(doc, entry, "Amt")
    indicator = doc.text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        errors.append(
            problem(line_no, "Ntry/CdtDbtInd", f"must be CRDT or DBIT, not {indicator!r}")
        )
    booked = _date(doc, entry, "BookgDt", errors, line_no)
    if amount is not None and not currency:
        errors.append(problem(line_no, "Ntry/Amt", "the amount has no currency (Ccy)"))
    if amount is None or indicator not in ("CRDT", "DBIT") or booked is None or not currency:
        return []
    reversal = doc.text(entry, "RvslInd").lower() == "true"
    family = doc.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    domain = [
        doc.text(entry, "BkTxCd/Domn/Cd"),
        doc.text(entry, "BkTxCd/Domn/Fmly/Cd"),
        family,
    ]
    code = "/".join(part for part in domain if part) or doc.text(entry, "BkTxCd/Prtry/Cd")
    direction = "credit" if indicator == "CRDT" else "debit"
    if direction == "debit":
        kind = "return" if reversal or family in RETURN_CODES else "other"
    else:
        kind = "return" if reversal else "payment"
    entry_ref = doc.text(entry, "AcctSvcrRef") or doc.text(entry, "NtryRef")
    entry_info = doc.text(entry, "AddtlNtryInf")
    details = doc.all(entry, "NtryDtls/TxDtls")
    if len(details) > 1 and all(_tx_amount(doc, d) is not None for d in details):
        parts = []
        for n, tx in enumerate(details, start=1):
            tx_amount = _amount(doc, tx, _tx_amount(doc, tx), errors, tx.sourceline, "TxDtls/Amt")
            if tx_amount is not None:
                parts.append((tx, tx_amount, n))
        total = sum((p[1] for p in parts), Decimal("0"))
        if parts and total != amount:
            errors.append(
                problem(
                    line_no,
                    "Ntry",
                    f"the entry's {amount} {currency} is not the sum of its "
                    f"{len(parts)} transactions ({total})",
                )
            )
            return []
    else:
        parts = [(details[0] if details else None, amount, 0)]
    lines = []
    for tx, tx_amount, n in parts:
        refs = _refs(doc, tx) if tx is not None else {}
        reference = refs.get("AcctSvcrRef") or (
            f"{entry_ref}/{n}" if entry_ref and n else entry_ref
        )
        reference = reference or refs.get("EndToEndId") or refs.get("TxId") or ""
        name, account_no, remittance = ("", "", "")
        if tx is not None:
            name, account_no, remittance = _party(doc, tx, direction)
        remittance = (remittance or entry_info).strip()
        if not reference:
            fingerprint = "|".join(
                [account, report_id, str(index), str(n), str(booked), str(tx_amount), remittance]
            )
            reference = "H" + hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
        lines.append(
            StatementLine(
                line=(tx.sourceline if tx is not None and n else line_no),
                account=account[:60],
                reference=reference[:120],
                direction=direction,
                kind=kind,
                booking_date=booked,
                amount=tx_amount,
                currency=currency,
                bank_code=code[:40],
                payer_name=name[:200],
                payer_account=account_no[:60],
                remittance=remittance,
            )
        )
    return lines


def _party(doc, tx, direction: str) -> tuple[str, str, str]:
    """The other side's name and account (the payer of a credit), and the remittance text."""
    party = "Dbtr" if direction == "credit" else "Cdtr"
    name = (
        doc.text(tx, f"RltdPties/{party}/Nm")
        or doc.text(tx, f"RltdPties/{party}/Pty/Nm")
        or doc.text(tx, f"RltdPties/Ultmt{party}/Nm")
    )
    account_no = doc.text(tx, f"RltdPties/{party}Acct/Id/IBAN") or doc.text(
        tx, f"RltdPties/{party}Acct/Id/Othr/Id"
    )
    texts = [e.text.strip() for e in doc.all(tx, "RmtInf/Ustrd") if e.text]
    for path in ("RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/RfrdDocInf/Nb"):
        texts += [e.text.strip() for e in doc.all(tx, path) if e.text]
    if doc.text(tx, "AddtlTxInf"):
        texts.append(doc.text(tx, "AddtlTxInf"))
    return name, account_no, " ".join(texts)


def _tx_amount(doc, tx) -> str | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        if doc.one(tx, path) is not None:
            return path
    return None


def _refs(doc, tx) -> dict[str, str]:
    out = {}
    for name in ("AcctSvcrRef", "EndToEndId", "TxId"):
        value = doc.text(tx, f"Refs/{name}")
        if value.upper() not in NOT_PROVIDED:
            out[name] = value
    return out


def _amount(doc, element, path, errors, line, record) -> Decimal | None:
    found = doc.one(element, path)
    if found is None:
        errors.append(problem(line, record, "the amount is missing"))
        return None
    text = (found.text or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(problem(found.sourceline, record, f"{text!r} is not an amount"))
        return None
    if not value.is_finite() or value <= 0:
        errors.append(problem(found.sourceline, record, f"{text!r} is not a positive amount"))
        return None
    currency = (found.get("Ccy") or "").strip()
    places = minor_unit(currency) if currency else 2
    if value != value.quantize(Decimal(1).scaleb(-places)):
        errors.append(
            problem(
                found.sourceline,
                record,
                f"{text!r} has more decimals than {currency or 'the currency'} has ({places})",
            )
        )
        return None
    return value


def _currency(doc, element, path) -> str:
    found = doc.one(element, path)
    return (found.get("Ccy") or "").strip().upper() if found is not None else ""


def _date(doc, element, path, errors, line) -> datetime.date | None:
    text = doc.text(element, f"{path}/Dt") or doc.text(element, f"{path}/DtTm")[:10]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors.append(problem(line, f"Ntry/{path}", f"{text!r} is not a date"))
        return None


def _check_summary(doc, report, entries, errors) -> None:
    summary = doc.one(report, "TxsSummry/TtlNtries")
    if summary is None:
        return
    credits, debits = _totals(doc, entries)
    count = doc.text(summary, "NbOfNtries")
    if count and count.isdigit() and int(count) != len(entries):
        errors.append(
            problem(
                summary.sourceline,
                "TxsSummry/TtlNtries/NbOfNtries",
                f"the statement says {count} entries but holds {len(entries)}",
            )
        )
    total = doc.text(summary, "Sum")
    try:
        if total and Decimal(total) != credits + debits:
            errors.append(
                problem(
                    summary.sourceline,
                    "TxsSummry/TtlNtries/Sum",
                    f"the statement's control sum is {total} but its entries add up to "
                    f"{credits + debits}",
                )
            )
    except InvalidOperation:
        errors.append(problem(summary.sourceline, "TxsSummry/TtlNtries/Sum", f"{total!r}"))


def _check_balances(doc, report, entries, errors) -> None:
    balances = {}
    for balance in doc.all(report, "Bal"):
        code = doc.text(balance, "Tp/CdOrPrtry/Cd")
        try:
            value = Decimal(doc.text(balance, "Amt"))
        except InvalidOperation:
            continue
        if doc.text(balance, "CdtDbtInd") == "DBIT":
            value = -value
        day = doc.text(balance, "Dt/Dt") or doc.text(balance, "Dt/DtTm")[:10]
        balances.setdefault(code, (value, balance.sourceline, day))
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if not (opening and closing):
        return
    try:
        until = datetime.date.fromisoformat(closing[2]) if closing[2] else None
    except ValueError:
        until = None
    credits, debits = _totals(doc, entries)
    candidates = {opening[0] + credits - debits}
    if until is not None:
        booked_credits, booked_debits = _totals(doc, entries, until=until)
        candidates.add(opening[0] + booked_credits - booked_debits)
    if closing[0] not in candidates:
        errors.append(
            problem(
                closing[1],
                "Bal/CLBD",
                f"opening balance {opening[0]} + credits {credits} - debits {debits} is "
                f"{opening[0] + credits - debits}, but the closing balance is {closing[0]}",
            )
        )
