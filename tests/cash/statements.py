"""Small bank statements written for the tests: a camt.053 of any version and a BAI2 file,
each with correct control totals unless a test spoils them on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Entry:
    ref: str
    amount: str
    credit: bool = True
    payer: str = ""
    payer_iban: str = ""
    text: str = ""
    day: str = "2026-03-02"
    currency: str = "USD"
    family: str = "ESCT"  # bank transaction sub-family: RRTN / ARET for a return


DUNWELL_DAY = [
    Entry("BNK-0001", "250.00", payer="Acme Tools Inc.", payer_iban="US11ACME", text="INV-0002"),
    Entry("BNK-0002", "100.00", payer="ACME TOOLS", text="March payment"),
    Entry("BNK-0003", "75.00", payer="Zeta Unknown Ltd", text="thanks"),
    Entry("BNK-0004", "20.00", credit=False, text="Account fee"),
]


def camt053(
    entries: list[Entry] = DUNWELL_DAY,
    *,
    version: str = "08",
    opening: str = "1000.00",
    count: int | None = None,
    closing: str | None = None,
) -> bytes:
    credits = sum(Decimal(e.amount) for e in entries if e.credit)
    debits = sum(Decimal(e.amount) for e in entries if not e.credit)
    closing = closing or str(Decimal(opening) + credits - debits)
    total = credits + debits
    rows = "".join(_camt_entry(e) for e in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DUNWELL-TEST-1</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2026-03-02</Id>
      <Acct><Id><IBAN>US00DUNWELL0000000001</IBAN></Id><Ccy>USD</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{opening}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{closing}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
      <TxsSummry><TtlNtries><NbOfNtries>{len(entries) if count is None else count}</NbOfNtries>
        <Sum>{total}</Sum></TtlNtries></TxsSummry>
{rows}    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def _camt_entry(e: Entry) -> str:
    side = "CRDT" if e.credit else "DBIT"
    party = "Dbtr" if e.credit else "Cdtr"
    return f"""      <Ntry>
        <Amt Ccy="{e.currency}">{e.amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{e.day}</Dt></BookgDt><ValDt><Dt>{e.day}</Dt></ValDt>
        <AcctSvcrRef>{e.ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>{e.family}</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{e.ref}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <Amt Ccy="{e.currency}">{e.amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>
          <RltdPties><{party}><Pty><Nm>{e.payer}</Nm></Pty></{party}>
            <{party}Acct><Id><IBAN>{e.payer_iban}</IBAN></Id></{party}Acct></RltdPties>
          <RmtInf><Ustrd>{e.text}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
"""


def bai2(entries: list[Entry] = DUNWELL_DAY, *, file_total: int | None = None) -> bytes:
    """One group, one account; 16 records with the text after the references."""
    lines = ["01,DUNWELLBANK,DUNWELL,260302,1800,1,,,2/", "02,DUNWELL,DUNWELLBANK,1,260302,,USD,2/"]
    account = ["03,000111222,USD,010,100000,,,/"]
    total = 100000
    for e in entries:
        cents = int(Decimal(e.amount) * 100)
        total += cents
        code = "195" if e.credit else ("555" if e.family == "RRTN" else "698")
        account.append(f"16,{code},{cents},0,{e.ref},,{e.text}")
        if e.payer:
            account.append(f"88,ORIG: {e.payer}")
    account.append(f"49,{total},{len(account) + 1}/")
    lines += account
    lines.append(f"98,{total},1,{len(account) + 2}/")
    lines.append(f"99,{total if file_total is None else file_total},1,{len(lines) + 1}/")
    return ("\n".join(lines) + "\n").encode()


def mt940(entries: list[Entry] = DUNWELL_DAY, *, opening: str = "1000.00") -> bytes:
    """One statement; a return is a reversal of a credit (RC)."""
    balance = Decimal(opening)
    rows = []
    for e in entries:
        amount = Decimal(e.amount)
        balance += amount if e.credit else -amount
        mark = "C" if e.credit else ("RC" if e.family == "RRTN" else "D")
        text = " ".join(
            part for part in (e.text, f"AUFTRAGGEBER: {e.payer}" if e.payer else "") if part
        )
        rows.append(f":61:2603020302{mark}{str(amount).replace('.', ',')}NTRFNONREF//{e.ref}")
        rows.append(f":86:{text or 'NONE'}")
    body = "\n".join(
        [
            ":20:DUNWELL-MT940",
            ":25:US00DUNWELL0000000001",
            ":28C:1/1",
            f":60F:C260302USD{opening.replace('.', ',')}",
            *rows,
            f":62F:C260302USD{str(balance).replace('.', ',')}",
            "-",
        ]
    )
    return (body + "\n").encode()
