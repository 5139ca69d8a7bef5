"""Which invoices a bank credit pays, ranked, each with a score (0-100) and the reason in
plain words. Pure reads: the import service stores the ranking and applies the money when
the best plan reaches ``CASH_AUTO_APPLY_THRESHOLD``.

Signals (docs/cash.md):
- an invoice number in the remittance text: exactly (letters kept, leading zeros and
  separators ignored: "INV-0001" = "inv 1"), or by its digits alone when they are long
  enough to mean something ("Rg.-Nr. 1234567890" for invoice 1234567890);
- the amount: equal to the named invoice's open balance, to the named invoices together,
  a part payment or an overpayment of it, or equal to exactly one open invoice of the payer;
- the payer: the bank account that paid this customer before, or the customer's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Func, Q, Value
from django.db.models.functions import Upper

from accounts.models import Customer
from invoices.models import Invoice

from .models import BankTransaction

DIGITS_ALONE_MIN = 5  # "12345" in a text names an invoice; "123" may be anything
TOKEN = re.compile(r"[A-Za-z]*[\s\-.#:/]*\d[\dA-Za-z\-./]*")
LEGAL_FORMS = {
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "co", "corp", "corporation",
    "company", "gmbh", "ag", "sa", "sarl", "bv", "nv", "srl", "spa", "oy", "ab", "as", "kg",
    "the", "and",
}  # fmt: skip
SCORE = {
    "number": 60,
    "digits": 50,
    "amount_equal": 30,
    "together": 30,
    "part": 15,
    "over": 10,
    "payer": 10,
    "only_amount": 50,
    "some_amount": 25,
}


@dataclass(frozen=True)
class Candidate:
    invoice: Invoice
    amount: Decimal  # what applying it would put on the invoice
    score: int
    reason: str


def full_key(text: str) -> str:
    """Letters and numbers of an invoice number, each number without leading zeros."""
    runs = re.findall(r"[A-Z]+|[0-9]+", text.upper())
    return "".join(run.lstrip("0") or "0" if run.isdigit() else run for run in runs)


def digits_key(text: str) -> str:
    return "".join(re.findall(r"[0-9]+", text)).lstrip("0")


def text_keys(text: str) -> tuple[set[str], set[str]]:
    """The full keys and digit keys of every number-like token in a remittance text; a token
    is tried with and without the words before it ("Rg.-Nr. 1234" → "NR1234", "1234")."""
    full: set[str] = set()
    digits: set[str] = set()
    for token in TOKEN.findall(text or ""):
        token = token.strip(" -./:#")
        full.add(full_key(token))
        bare = re.sub(r"^[A-Za-z]+[\s\-.#:/]*", "", token)
        full.add(full_key(bare))
        key = digits_key(token)
        if len(key) >= DIGITS_ALONE_MIN:
            digits.add(key)
    full.discard("")
    return full, digits


def name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", (name or "").lower())
    return " ".join(w for w in words if w not in LEGAL_FORMS)


def identify_customer(
    *, remittance: str, payer_name: str, payer_account: str, currency: str
) -> tuple[Customer | None, str]:
    """Who paid: the customer of invoices named in the text, else the customer this bank
    account paid for before, else the one customer whose name is the payer's."""
    by_number = _invoices_named(remittance, currency)
    customers = {invoice.customer_id for invoice in by_number}
    if len(customers) == 1:
        invoice = by_number[0]
        return invoice.customer, f"invoice {invoice.number} is named in the text"
    if payer_account:
        earlier = (
            BankTransaction.objects.filter(payer_account=payer_account, customer__isnull=False)
            .select_related("customer")
            .order_by("-id")
            .first()
        )
        if earlier is not None:
            return earlier.customer, "this bank account paid for the customer before"
    key = name_key(payer_name)
    if key:
        first = key.split()[0]
        found = [
            c
            for c in Customer.objects.filter(name__icontains=first)[:50]
            if name_key(c.name) == key
        ]
        if len(found) == 1:
            return found[0], f"the payer name {payer_name!r} is the customer's"
    return None, "no invoice number, known bank account or customer name found"


def _invoices_named(remittance: str, currency: str) -> list[Invoice]:
    full, digits = text_keys(remittance)
    wanted = {k for k in full if any(ch.isdigit() for ch in k)} | digits
    if not wanted:
        return []
    stripped = Func(
        Func(Upper(F("number")), Value("[^0-9]"), Value(""), Value("g"), function="regexp_replace"),
        Value("0"),
        function="ltrim",
    )
    candidates = (
        Invoice.objects.filter(open_amount__gt=0, currency_id=currency)
        .annotate(number_digits=stripped)
        .filter(number_digits__in={digits_key(k) for k in wanted} - {""})
        .select_related("customer")[:200]
    )
    return [
        invoice
        for invoice in candidates
        if full_key(invoice.number) in full or digits_key(invoice.number) in digits
    ]


def rank(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    remittance: str,
    payer_name: str = "",
    payer_known: bool = False,
) -> list[Candidate]:
    """Candidate invoices of the paying customer and its child accounts, best first."""
    invoices = list(
        Invoice.objects.filter(
            Q(customer=customer) | Q(customer__parent=customer),
            currency_id=currency,
            open_amount__gt=0,
        ).order_by("due_date", "id")[:2000]
    )
    full, digits = text_keys(remittance)
    named: dict[int, tuple[int, str]] = {}
    for invoice in invoices:
        if full_key(invoice.number) in full:
            named[invoice.pk] = (SCORE["number"], f"invoice number {invoice.number} is in the text")
        elif digits_key(invoice.number) in digits:
            named[invoice.pk] = (
                SCORE["digits"],
                f"the digits of {invoice.number} are in the text (prefix and zeros aside)",
            )
    payer_words = []
    payer_points = 0
    if payer_known:
        payer_points = SCORE["payer"]
        payer_words = ["this bank account paid the customer before"]
    elif payer_name and name_key(payer_name) == name_key(customer.name):
        payer_points = SCORE["payer"]
        payer_words = [f"the payer name is {customer.name}'s"]
    by_id = {invoice.pk: invoice for invoice in invoices}
    out: list[Candidate] = []
    if named:
        together = sum((by_id[pk].open_amount for pk in named), Decimal("0"))
        for pk, (points, why) in named.items():
            invoice = by_id[pk]
            words = [why]
            share = min(invoice.open_amount, amount)
            if len(named) == 1 and amount == invoice.open_amount:
                points += SCORE["amount_equal"]
                words.append("the amount equals its open balance")
            elif len(named) > 1 and amount == together:
                points += SCORE["together"]
                words.append(f"the amount equals the {len(named)} named invoices' open balances")
                share = invoice.open_amount
            elif len(named) == 1 and amount < invoice.open_amount:
                points += SCORE["part"]
                words.append("a part payment of it")
            elif len(named) == 1:
                points += SCORE["over"]
                words.append(f"pays it in full, {amount - invoice.open_amount} left on account")
            out.append(_candidate(invoice, share, points + payer_points, words + payer_words))
    else:
        same = [invoice for invoice in invoices if invoice.open_amount == amount]
        for invoice in same:
            if len(same) == 1:
                points, why = SCORE["only_amount"], "the only open invoice for exactly this amount"
            else:
                points = SCORE["some_amount"]
                why = f"one of {len(same)} open invoices for exactly this amount"
            out.append(_candidate(invoice, amount, points + payer_points, [why, *payer_words]))
    out.sort(key=lambda c: (-c.score, c.invoice.due_date, c.invoice.pk))
    return out[:10]


def _candidate(invoice, share, points, words) -> Candidate:
    reason = "; ".join(words)
    return Candidate(invoice=invoice, amount=share, score=min(points, 100), reason=reason[:300])


def automatic_plan(candidates: list[Candidate], threshold: int) -> list[Candidate]:
    """What to apply without a person: every candidate at or above the threshold, when they
    are the named invoices of one plan (not two invoices that would each take the money)."""
    sure = [c for c in candidates if c.score >= threshold]
    if not sure:
        return []
    total = sum((c.amount for c in sure), Decimal("0"))
    if len(sure) > 1 and not all("named invoices" in c.reason for c in sure):
        return []
    return sure if total > 0 else []
