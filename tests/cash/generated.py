"""A generated, realistic book and a day of bank credits against it, for measuring the
matcher: straight-through by payment and by invoice, and wrong applications.

The book: customers with legal forms in their names, each with its own invoice-number
style (``INV-000123``, ``2026-00123``, ``4000000123``, ``RE0000123``, ``1234567890``,
``123456``) and a bank account. The credits, each with the invoices a person would apply it
to (``intended``):

- ``number``: the invoice number in one of the remittance styles banks deliver ("Rg.-Nr.",
  "Factuurnr", lower case without separators, without leading zeros, after a PO number);
- ``rf``: an RF creditor reference (ISO 11649) carrying the invoice number;
- ``two``: two invoices named and paid together; ``combo``: two or three invoices paid
  together with nothing in the text;
- ``part``: half of a named invoice; ``charges``: a named invoice less 1-25 of bank charges;
  ``discount``: a named invoice less the 2 % early-payment discount, within 10 days;
- ``amount_only``: exactly one invoice's balance, text "thank you";
- ``nothing``: an unrelated amount (a person would leave it on account: ``intended`` empty);
- ``typo``: a mistyped invoice number (``intended`` empty: a person would ask).

Payers: the customer's name as banks spell it (upper case, cut at 35 characters, without the
legal form, a typo) and mostly its bank account, known from one earlier credit per customer
at the start of the file (the history every book has; not measured); one credit in eight
comes from an account never seen before.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from accounts.models import Currency, PaymentTerms
from cash import matching
from cash.models import BankTransaction
from invoices.models import Application, Invoice
from tests.factories import CustomerFactory

from .statements import Entry

WORDS = [
    "Acme", "Northwind", "Bluewater", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella",
    "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Duff",
    "Oscorp", "Gringotts", "Monarch", "Nakatomi", "Pied Piper", "Massive Dynamic", "Aperture",
    "Black Mesa", "Prestige", "Sirius", "Virtucon", "Zorg", "Kruger", "Lacuna", "Dunder",
]  # fmt: skip
TRADES = [
    "Tools", "Packaging", "Logistics", "Pharma", "Metals", "Foods", "Systems", "Chemicals",
    "Fasteners", "Textiles", "Paper", "Imports", "Farms", "Robotics", "Parts", "Glass",
    "Bakeries", "Electric", "Hydraulics", "Plastics", "Timber", "Ceramics", "Optics", "Brewing",
]  # fmt: skip
SUFFIXES = ["Inc.", "Ltd", "GmbH", "LLC", "Co.", "B.V.", "S.A.", "AG"]
STYLES = [
    lambda n: f"INV-{n:06d}",
    lambda n: f"2026-{n:05d}",
    lambda n: f"{4000000000 + n}",
    lambda n: f"RE{n:07d}",
    lambda n: f"{1200000000 + n}",
    lambda n: f"{300000 + n}",
]
TEXTS = [
    lambda number, rng: number,
    lambda number, rng: f"Invoice {number}",
    lambda number, rng: f"Rg.-Nr. {number}",
    lambda number, rng: f"Factuurnr {number} dank u",
    lambda number, rng: (
        f"PAYMENT FOR {number.replace('-', ' ').lower()} PO 55-{rng.randint(100, 999)}"
    ),
    lambda number, rng: (
        f"INV {number.removeprefix('INV-').lstrip('0')}"
        if number.startswith("INV")
        else f"/INV/{number}/"
    ),
    lambda number, rng: f"REF {number} OUR ORDER {rng.randint(10, 99)}",
]
KINDS = {
    "number": 38,
    "rf": 10,
    "two": 8,
    "combo": 4,
    "part": 6,
    "charges": 8,
    "discount": 5,
    "amount_only": 11,
    "nothing": 6,
    "typo": 4,
}
DAY = datetime.date(2026, 3, 2)


@dataclass
class Case:
    ref: str
    kind: str
    intended: dict[str, Decimal]  # invoice number -> amount a person would apply
    settles: list[str] = field(default_factory=list)  # invoices it closes (charges/discount)


@dataclass
class Book:
    customers: list  # (customer, [invoice], iban)


def book(rng: random.Random, *, customers: int, invoices: tuple[int, int] = (6, 10)) -> Book:
    """Customers and their open invoices (written in bulk: a fresh invoice has no movement,
    its open balance is its amount)."""
    usd = Currency.objects.get(code="USD")
    terms = PaymentTerms.objects.get(net_days=30)
    out = []
    counter = 1
    names: set[str] = set()
    rows = []
    for i in range(customers):
        while True:
            name = f"{rng.choice(WORDS)} {rng.choice(TRADES)}"
            if name not in names:
                names.add(name)
                break
            if len(names) > len(WORDS) * len(TRADES) * 0.8:
                name = f"{name} {i}"
                names.add(name)
                break
        customer = CustomerFactory(
            external_ref=f"GEN{i:05d}",
            name=f"{name} {rng.choice(SUFFIXES)}",
            currency=usd,
            payment_terms=terms,
        )
        style = STYLES[i % len(STYLES)]
        mine = []
        for _ in range(rng.randint(*invoices)):
            amount = Decimal(rng.randint(5000, 900000)) / 100
            issued = datetime.date(2026, 1, 1) + datetime.timedelta(rng.randint(0, 55))
            mine.append(
                Invoice(
                    number=style(counter),
                    customer=customer,
                    issue_date=issued,
                    due_date=issued + datetime.timedelta(30),
                    amount=amount,
                    open_amount=amount,
                    currency=usd,
                )
            )
            counter += rng.randint(1, 3)
        rows.extend(mine)
        out.append((customer, mine, f"DE{i:02d}BANK{i:010d}"))
    Invoice.objects.bulk_create(rows, batch_size=2000)
    return Book(customers=out)


def _noisy(name: str, rng: random.Random) -> str:
    words = name.split()
    roll = rng.random()
    if roll < 0.3:
        return name.upper()[:35]
    if roll < 0.5:
        return " ".join(words[:-1])  # without the legal form
    if roll < 0.6:
        k = rng.randrange(len(words[0]))
        return (words[0][:k] + words[0][k + 1 :] + " " + " ".join(words[1:])).strip()
    return name


def credits(data: Book, rng: random.Random, count: int) -> tuple[list[Entry], list[Case]]:
    """``count`` bank credits against the book, each with what a person would apply."""
    entries, cases = [], []
    left: dict[int, Decimal] = {}
    kinds, weights = zip(*KINDS.items(), strict=True)
    # the days before: each customer paid one invoice by number from its bank account, so
    # the accounts are known, as they are in a book with a history
    for k, (customer, invoices, iban) in enumerate(data.customers):
        paid = invoices[-1]
        left[paid.pk] = Decimal("0")
        entries.append(
            Entry(
                f"HIST-{k:05d}",
                str(paid.open_amount),
                payer=customer.name,
                payer_iban=iban,
                text=paid.number,
                day=(DAY - datetime.timedelta(days=3)).isoformat(),
            )
        )
    n = 0
    while len(cases) < count:
        n += 1
        if n > 50 * count:
            raise ValueError(f"the book is too small for {count} credits")
        customer, invoices, iban = rng.choice(data.customers)
        live = [i for i in invoices if left.get(i.pk, i.open_amount) > 0]
        if len(live) < 3:
            continue
        kind = rng.choices(kinds, weights)[0]
        first, second, third = rng.sample(live, 3)
        owed = left.get(first.pk, first.open_amount)
        owed2 = left.get(second.pk, second.open_amount)
        owed3 = left.get(third.pk, third.open_amount)
        text, amount, intended, settles, day = "", owed, {first.number: owed}, [], DAY
        if kind == "number":
            text = rng.choice(TEXTS)(first.number, rng)
        elif kind == "rf":
            text = _rf_printed(matching.rf_reference(first.number), rng)
        elif kind == "two":
            amount = owed + owed2
            text = f"{rng.choice(['', 'Invoices ', 'RE '])}{first.number}, {second.number}"
            intended = {first.number: owed, second.number: owed2}
        elif kind == "combo":
            chosen = [(first, owed), (second, owed2)] + (
                [(third, owed3)] if rng.random() < 0.4 else []
            )
            amount = sum((o for _i, o in chosen), Decimal("0"))
            text = rng.choice(["", "thank you", "payment"])
            intended = {i.number: o for i, o in chosen}
        elif kind == "part":
            amount = (owed / 2).quantize(Decimal("0.01"))
            text = f"part payment {first.number}"
            intended = {first.number: amount}
        elif kind == "charges":
            amount = owed - Decimal(rng.randint(100, 2500)) / 100
            text = rng.choice(TEXTS)(first.number, rng)
            intended, settles = {first.number: amount}, [first.number]
        elif kind == "discount":
            if owed != first.amount:
                continue
            discount = (first.amount * 2 / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
            amount = owed - discount
            day = first.issue_date + datetime.timedelta(rng.randint(1, 10))
            text = rng.choice(TEXTS)(first.number, rng)
            intended, settles = {first.number: amount}, [first.number]
        elif kind == "amount_only":
            text = rng.choice(["thank you", "", "payment", "SEPA CREDIT"])
        elif kind == "nothing":
            amount, text, intended = Decimal(rng.randint(100, 9999)), "misc", {}
        elif kind == "typo":
            text, intended = f"Invoice {first.number}9", {}
        if amount <= 0:
            continue
        for number, share in intended.items():
            invoice = next(i for i in invoices if i.number == number)
            left[invoice.pk] = left.get(invoice.pk, invoice.open_amount) - share
        for number in settles:
            left[next(i for i in invoices if i.number == number).pk] = Decimal("0")
        ref = f"GEN-{n:06d}"
        payer_iban = iban if rng.random() > 0.125 else f"XX{rng.randint(10**9, 10**10)}"
        entries.append(
            Entry(
                ref,
                str(amount),
                payer=_noisy(customer.name, rng),
                payer_iban=payer_iban,
                text=text,
                currency="USD",
                day=day.isoformat(),
            )
        )
        cases.append(Case(ref, kind, intended, settles))
    return entries, cases


def _rf_printed(reference: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return reference
    grouped = " ".join(reference[k : k + 4] for k in range(0, len(reference), 4))
    return rng.choice([grouped, f"Ref {grouped}", f"{grouped} thanks"])


@dataclass
class Measured:
    credits: int
    payable: int
    payments_through: int
    invoices_intended: int
    invoices_through: int
    applications: int
    wrong: list
    settled: int
    settles_intended: int
    missed: dict

    def line(self) -> str:
        return (
            f"{self.credits} generated credits ({self.payable} with an intended invoice): "
            f"straight-through by payment {self.payments_through / self.payable:.1%}, "
            f"by invoice {self.invoices_through / self.invoices_intended:.1%}, "
            f"wrong applications {len(self.wrong)}/{self.applications}; "
            f"charges and discounts settled {self.settled}/{self.settles_intended}; "
            f"not straight through by kind {dict(sorted(self.missed.items()))}"
        )


def measure(cases: list[Case]) -> Measured:
    """Compare what was applied with what a person would have applied. Wrong: money on an
    invoice the person would not have chosen, or more than they would have put on it."""
    refs = {c.ref for c in cases}
    applied: dict[str, dict[str, Decimal]] = {}
    rows = Application.objects.filter(
        reverses__isnull=True, payment__bank_transaction__reference__in=refs
    ).values_list("payment__bank_transaction__reference", "invoice__number", "amount")
    for ref, number, amount in rows:
        applied.setdefault(ref, {})[number] = amount
    wrong = [
        (c.ref, c.kind, applied[c.ref], c.intended)
        for c in cases
        if c.ref in applied
        and any(n not in c.intended or a > c.intended[n] for n, a in applied[c.ref].items())
    ]
    payable = [c for c in cases if c.intended]
    missed: dict[str, int] = {}
    for c in payable:
        if applied.get(c.ref) != c.intended:
            missed[c.kind] = missed.get(c.kind, 0) + 1
    settle_numbers = [n for c in cases for n in c.settles if applied.get(c.ref) == c.intended]
    settled = Invoice.objects.filter(Q(number__in=settle_numbers), open_amount=0).count()
    assert BankTransaction.objects.filter(reference__in=refs).count() == len(cases)
    return Measured(
        credits=len(cases),
        payable=len(payable),
        payments_through=sum(1 for c in payable if applied.get(c.ref) == c.intended),
        invoices_intended=sum(len(c.intended) for c in payable),
        invoices_through=sum(
            1
            for c in payable
            for number, amount in c.intended.items()
            if applied.get(c.ref, {}).get(number) == amount
        ),
        applications=sum(len(a) for a in applied.values()),
        wrong=wrong,
        settled=settled,
        settles_intended=sum(len(c.settles) for c in cases),
        missed=missed,
    )
