"""The shape of a believable receivables ledger, decided before anything is written.

``seed_demo`` writes these plans through the services; ``generate_data`` copies them in
bulk. Both get the same customers, invoices and payments for the same seed and ``today``:
every choice comes from a seeded ``random.Random``, and money is held in integer cents
until a writer turns it into a ``Decimal``.

How the ledger comes out: invoices are spread over the last 18 months, weighted towards
larger customers; each customer has a payment habit (prompt, steady, slow, troubled)
that decides how many days after the due date it pays, so old invoices are mostly paid,
recent ones mostly open, and troubled accounts carry badly overdue items. Bigger
customers pay in weekly, fortnightly or four-weekly runs, so one payment often settles
several invoices. A few
payments are partial or short, some cash arrives that nobody has applied yet, and some
payments carry a little more than the invoices they settle.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from . import names

HISTORY_DAYS = 548  # 18 months up to today

# size: share of customers, invoice volume (relative), median invoice (cents), credit limits
SIZES = {
    "small": (50, 1.0, 40_000, (5_000, 7_500, 10_000, 15_000)),
    "medium": (30, 3.0, 150_000, (25_000, 40_000, 50_000, 75_000)),
    "large": (15, 8.0, 500_000, (100_000, 150_000, 200_000, 250_000)),
    "key": (5, 20.0, 1_200_000, (500_000, 750_000, 1_000_000)),
}
AMOUNT_SIGMA = 1.0  # lognormal spread: many small invoices, a long tail of large ones
MIN_INVOICE_CENTS = 2_500
MAX_INVOICE_CENTS = 50_000_000

# payment habit: share of customers, chance an invoice is never paid, and the days after
# the due date it pays as a triangular (earliest, latest, most likely); negative is early
PROFILES = {
    "prompt": (35, 0.002, (-10, 3, -2)),
    "steady": (40, 0.003, (-7, 12, 0)),
    "slow": (18, 0.006, (-3, 40, 10)),
    "troubled": (7, 0.05, (10, 120, 45)),
}
NET_DAYS = ((30, 62), (15, 14), (45, 12), (60, 12))
CURRENCIES = (("USD", 85), ("EUR", 6), ("GBP", 5), ("CAD", 4))

PARTIAL_SHARE = 0.008  # a paid invoice is only partly paid ...
SHORT_SHARE = 0.010  # ... or short-paid by a few dollars (a deduction nobody explained)
OVERPAY_SHARE = 0.005  # a payment carries more than the invoices it settles
UNAPPLIED_RECENT = 0.05  # cash from the last RECENT_DAYS that nobody has applied yet
UNAPPLIED_OLD = 0.003
RECENT_DAYS = 45
# Prompt and steady payers above the smallest pay in runs: the bigger, the rarer the run.
PAY_RUN_DAYS = {"small": None, "medium": 7, "large": 14, "key": 28}
# Slow and troubled payers above the smallest catch up on several late invoices at once.
CATCH_UP_DAYS = {"small": None, "medium": 28, "large": 28, "key": 28}

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(slots=True)
class ContactPlan:
    name: str
    role: str
    email: str
    phone: str
    is_primary: bool


@dataclass(slots=True)
class CustomerPlan:
    index: int
    external_ref: str
    name: str
    currency: str
    net_days: int
    credit_limit: int  # whole units of the currency
    credit_status: str
    do_not_contact: bool
    parent: int | None  # index of the parent account
    collector: int | None  # collector slot, 0-based
    profile: str
    size: str
    invoice_weight: float
    median_cents: int
    pay_run: tuple[int, int] | None  # (every n days, on day ≡ r) or pays as items fall due
    paid_by_parent: bool
    po_prefix: str
    contacts: list[ContactPlan] = field(default_factory=list)


@dataclass(slots=True)
class InvoicePlan:
    number: str
    customer: int
    issue_date: datetime.date
    due_date: datetime.date
    amount: int  # cents
    po_number: str
    paid: int = 0  # cents the planned payments apply
    id: int | None = None  # set by whoever writes it

    @property
    def open(self) -> int:
        return self.amount - self.paid


@dataclass(slots=True)
class PaymentPlan:
    reference: str
    customer: int  # who paid: the invoice's customer or its parent
    received_date: datetime.date
    amount: int  # cents; more than the allocations when the customer overpaid
    method: str
    allocations: list[tuple[InvoicePlan, int]]
    applied: bool  # False: the cash sits unapplied, the invoices stay open
    id: int | None = None

    @property
    def applied_amount(self) -> int:
        return sum(cents for _, cents in self.allocations) if self.applied else 0


@dataclass(slots=True)
class LedgerChunk:
    invoices: list[InvoicePlan]
    payments: list[PaymentPlan]


def cents_to_decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _weighted(rng: random.Random, pairs) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _slug(text: str) -> str:
    return _SLUG.sub("", text.lower())


def _phone(rng: random.Random, currency: str, suffix: str) -> str:
    # 555-01xx and 020 7946 0xxx are the ranges set aside for fiction.
    if currency == "USD":
        return f"+1 ({rng.choice(names.US_AREA_CODES)}) 555-01{rng.randrange(100):02d}"
    if currency == "CAD":
        return f"+1 ({rng.choice(names.CA_AREA_CODES)}) 555-01{rng.randrange(100):02d}"
    if currency == "GBP":
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    prefix = names.EU_PHONE_PREFIXES.get(suffix, "+49 30")
    return f"{prefix} {rng.randrange(1000, 10000)} {rng.randrange(1000, 10000)}"


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)


def _contacts(
    rng: random.Random, *, domain: str, currency: str, suffix: str, size: str
) -> list[ContactPlan]:
    first, last = _person(rng)
    contacts = [
        ContactPlan(
            name=f"{first} {last}",
            role=rng.choice(names.AP_ROLES),
            email=f"{_slug(first)}.{_slug(last)}@{domain}",
            phone=_phone(rng, currency, suffix),
            is_primary=True,
        )
    ]
    if size != "small" and rng.random() < 0.5:
        first, last = _person(rng)
        contacts.append(
            ContactPlan(
                name=f"{first} {last}",
                role=rng.choice(names.SECOND_ROLES),
                email=f"{_slug(first)[0]}{_slug(last)}@{domain}",
                phone=_phone(rng, currency, suffix),
                is_primary=False,
            )
        )
    if rng.random() < 0.25:
        contacts.append(
            ContactPlan(
                name="Accounts Payable team",
                role="Shared mailbox",
                email=f"ap@{domain}",
                phone="",
                is_primary=False,
            )
        )
    return contacts


def _head(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.6:
        return rng.choice(names.NAME_HEADS) + rng.choice(names.NAME_TAILS)
    if kind < 0.85:
        return rng.choice(names.NAME_WORDS)
    return rng.choice(names.FOUNDER_NAMES)


class _Namer:
    """Unique trade names: retry a few draws, then say which city the business is in."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def take(self, head: str, body: str) -> str:
        core = f"{head} {body}"
        if core in self.used:
            core = f"{head} {body} of {self.rng.choice(names.CITIES)}"
        n = 2
        base = core
        while core in self.used:
            core = f"{base} {n}"
            n += 1
        self.used.add(core)
        return core

    def fresh(self) -> tuple[str, str]:
        for _ in range(4):
            head, industry = _head(self.rng), self.rng.choice(names.INDUSTRIES)
            if f"{head} {industry}" not in self.used:
                break
        return head, industry


def plan_customers(
    *,
    seed: int,
    count: int,
    ref_format: str,
    first_number: int = 1,
    collectors: int = 0,
    unassigned_share: float = 0.0,
    parent_share: float = 0.025,
) -> list[CustomerPlan]:
    """``count`` customers; a few are parents of 2-4 children that follow right after them.

    Collectors are assigned round-robin over slots ``0..collectors-1`` (children share
    their parent's collector); ``unassigned_share`` of the accounts have nobody.
    """
    rng = random.Random(f"{seed}:customers")
    namer = _Namer(rng)
    plans: list[CustomerPlan] = []
    next_slot = 0

    def assign() -> int | None:
        nonlocal next_slot
        if not collectors or rng.random() < unassigned_share:
            return None
        slot = next_slot % collectors
        next_slot += 1
        return slot

    def build(*, head, body, currency, suffix, profile, size, parent, collector, by_parent):
        _, weight, median, limits = SIZES[size]
        core = namer.take(head, body)
        net_days = _weighted(rng, NET_DAYS)
        if profile == "troubled":
            status = rng.choice(("watch", "hold"))
        elif profile == "slow":
            status = "watch" if rng.random() < 0.25 else "good"
        else:
            status = "watch" if rng.random() < 0.02 else "good"
        dnc = rng.random() < (0.2 if profile == "troubled" else 0.003)
        cycle = PAY_RUN_DAYS[size] if profile in ("prompt", "steady") else CATCH_UP_DAYS[size]
        domain = f"{_slug(core)}.example"
        index = len(plans)
        plan = CustomerPlan(
            index=index,
            external_ref=ref_format.format(first_number + index),
            name=f"{core} {suffix}",
            currency=currency,
            net_days=net_days,
            credit_limit=rng.choice(limits),
            credit_status=status,
            do_not_contact=dnc,
            parent=parent,
            collector=collector,
            profile=profile,
            size=size,
            invoice_weight=weight,
            median_cents=median,
            pay_run=(cycle, rng.randrange(cycle // 7) * 7 + rng.randrange(5) + 1)
            if cycle
            else None,
            paid_by_parent=by_parent,
            po_prefix=rng.choice(("PO-", "45", "P", "", "")),
            contacts=_contacts(rng, domain=domain, currency=currency, suffix=suffix, size=size),
        )
        plans.append(plan)
        return plan

    profile_pairs = [(name, spec[0]) for name, spec in PROFILES.items()]
    size_pairs = [(name, spec[0]) for name, spec in SIZES.items()]
    while len(plans) < count:
        currency = _weighted(rng, CURRENCIES)
        suffix = rng.choice(names.SUFFIXES[currency])
        profile = _weighted(rng, profile_pairs)
        room = count - len(plans) - 1
        if room >= 2 and rng.random() < parent_share:
            head, _ = namer.fresh()
            parent = build(
                head=head,
                body=rng.choice(names.PARENT_WORDS),
                currency=currency,
                suffix=suffix,
                profile=profile,
                size=rng.choice(("medium", "large")),
                parent=None,
                collector=assign(),
                by_parent=False,
            )
            central = rng.random() < 0.5
            for industry in rng.sample(names.INDUSTRIES, min(room, rng.randint(2, 4))):
                build(
                    head=head,
                    body=industry,
                    currency=currency,
                    suffix=suffix,
                    profile=profile,
                    size=_weighted(rng, size_pairs),
                    parent=parent.index,
                    collector=parent.collector,
                    by_parent=central,
                )
        else:
            head, industry = namer.fresh()
            build(
                head=head,
                body=industry,
                currency=currency,
                suffix=suffix,
                profile=profile,
                size=_weighted(rng, size_pairs),
                parent=None,
                collector=assign(),
                by_parent=False,
            )
    return plans


def _pay_day(ordinal: int, pay_run: tuple[int, int] | None) -> int:
    """The customer's next pay run on or after ``ordinal``, else the next business day."""
    if pay_run is None:
        current = (ordinal - 1) % 7  # date.fromordinal(1) is a Monday
        return ordinal + (7 - current if current >= 5 else 0)
    cycle, residue = pay_run  # runs fall on ordinals ≡ residue (mod cycle): always a weekday
    return ordinal + (residue - ordinal) % cycle


class LedgerPlanner:
    """Invoices and the payments against them, a slice of the calendar at a time."""

    def __init__(
        self,
        *,
        seed: int,
        today: datetime.date,
        customers: list[CustomerPlan],
        invoice_format: str,
        payment_format: str,
        first_invoice: int = 1,
        first_payment: int = 1,
    ):
        self.rng = random.Random(f"{seed}:ledger")
        self.today = today
        self.customers = customers
        self.invoice_format = invoice_format
        self.payment_format = payment_format
        self.next_invoice = first_invoice
        self.next_payment = first_payment
        self.cum_weights = list(itertools.accumulate(plan.invoice_weight for plan in customers))
        # The loop below runs millions of times: everything it needs about a customer, flat.
        self.traits = [
            (
                plan.net_days,
                plan.pay_run,
                math.log(plan.median_cents),
                PROFILES[plan.profile][1],
                PROFILES[plan.profile][2],
                plan.po_prefix,
                plan.parent if plan.paid_by_parent else plan.index,
            )
            for plan in customers
        ]
        by_currency = {
            code: ([m for m, _ in pairs], list(itertools.accumulate(w for _, w in pairs)))
            for code, pairs in names.PAYMENT_METHODS.items()
        }
        self.methods = [by_currency[plan.currency] for plan in customers]

    def chunks(self, count: int, chunk_size: int) -> Iterator[LedgerChunk]:
        """``count`` invoices in chunks; chunk k covers the k-th slice of the 18 months."""
        slices = max(1, min(math.ceil(count / chunk_size), HISTORY_DAYS))
        first_day = self.today.toordinal() - HISTORY_DAYS
        done = 0
        for k in range(slices):
            n = count * (k + 1) // slices - done
            lo = first_day + (HISTORY_DAYS + 1) * k // slices
            hi = first_day + (HISTORY_DAYS + 1) * (k + 1) // slices
            done += n
            yield self._chunk(n, lo, hi)

    def _chunk(self, n: int, lo: int, hi: int) -> LedgerChunk:
        rng = self.rng
        rand, gauss, triangular = rng.random, rng.gauss, rng.triangular
        exp = math.exp
        today = self.today.toordinal()
        traits = self.traits
        fromordinal = datetime.date.fromordinal
        number_format = self.invoice_format.format
        who = rng.choices(range(len(traits)), cum_weights=self.cum_weights, k=n)
        span = hi - lo
        days = sorted(lo + int(rand() * span) for _ in range(n))
        invoices: list[InvoicePlan] = []
        runs: dict[tuple[int, int], list[tuple[InvoicePlan, int]]] = {}
        number = self.next_invoice
        for index, day in zip(who, days, strict=True):
            net_days, pay_run, mu, never, delay, po_prefix, payer = traits[index]
            current = (day - 1) % 7  # date.fromordinal(1) is a Monday
            if current >= 5:  # invoices go out on business days
                day -= current - 4
            due = day + net_days
            amount = int(exp(mu + AMOUNT_SIGMA * gauss()))
            amount = min(max(amount, MIN_INVOICE_CENTS), MAX_INVOICE_CENTS)
            invoice = InvoicePlan(
                number=number_format(number),
                customer=index,
                issue_date=fromordinal(day),
                due_date=fromordinal(due),
                amount=amount,
                po_number=f"{po_prefix}{100000 + int(rand() * 900000)}" if po_prefix else "",
            )
            number += 1
            invoices.append(invoice)

            if rand() < never:
                continue
            paid_on = _pay_day(max(day, due + round(triangular(*delay))), pay_run)
            if paid_on > today:
                continue
            roll = rand()
            if roll < PARTIAL_SHARE:
                cents = amount * (25 + int(rand() * 51)) // 100
            elif roll < PARTIAL_SHARE + SHORT_SHARE and amount > 20_000:
                cents = amount - 1 - int(rand() * 2_000)
            else:
                cents = amount
            key = (paid_on, payer)
            run = runs.get(key)
            if run is None:
                runs[key] = [cents, (invoice, cents)]
            else:
                run[0] += cents
                run.append((invoice, cents))
        self.next_invoice = number

        payments = []
        reference_format = self.payment_format.format
        reference = self.next_payment
        methods = self.methods
        for key in sorted(runs):
            paid_on, payer = key
            amount, *allocations = runs[key]
            recent = today - paid_on <= RECENT_DAYS
            applied = rand() >= (UNAPPLIED_RECENT if recent else UNAPPLIED_OLD)
            if rand() < OVERPAY_SHARE:
                amount += 100 + int(rand() * 50_000)
            names_, cum = methods[payer]
            payments.append(
                PaymentPlan(
                    reference=reference_format(reference),
                    customer=payer,
                    received_date=fromordinal(paid_on),
                    amount=amount,
                    method=names_[bisect.bisect(cum, rand() * cum[-1])],
                    allocations=allocations,
                    applied=applied,
                )
            )
            reference += 1
            if applied:
                for invoice, cents in allocations:
                    invoice.paid += cents
        self.next_payment = reference
        return LedgerChunk(invoices=invoices, payments=payments)


# Monthly rates to the reporting currency: roughly where these currencies traded lately.
FX_BASE = {"EUR": 1.085, "GBP": 1.27, "CAD": 0.735}


def plan_exchange_rates(
    *, seed: int, today: datetime.date, quote: str = "USD"
) -> list[tuple[str, str, datetime.date, Decimal]]:
    """(currency, quote currency, valid from, rate) on the 1st of each month of the history."""
    rng = random.Random(f"{seed}:fx")
    start = today - datetime.timedelta(days=HISTORY_DAYS)
    months = []
    month = datetime.date(start.year, start.month, 1)
    while month <= today:
        months.append(month)
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    rates = []
    for code, base in FX_BASE.items():
        rate = base
        for valid_from in months:
            rate *= 1 + rng.uniform(-0.015, 0.015)
            rates.append((code, quote, valid_from, Decimal(f"{rate:.6f}")))
    return rates
