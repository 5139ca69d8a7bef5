"""Which invoices a bank credit pays, ranked, each with a score (0-100) and the reason in
plain words. Pure reads: the import service stores the ranking and applies the money when
the best plan reaches ``CASH_AUTO_APPLY_THRESHOLD``.

Signals (docs/cash.md):
- an invoice number in the remittance text: exactly (letters kept, leading zeros and
  separators ignored: "INV-0001" = "inv 1"), or by its digits alone when they are long
  enough to mean something ("Rg.-Nr. 1234567890" for invoice 1234567890);
- the amount: equal to the named invoice's open balance, to the named invoices together,
  a part payment or an overpayment of it, or equal to exactly one open invoice of the payer;
- a structured creditor reference (RF, ISO 11649) whose check digits hold and whose body is
  an invoice number; a reference whose check digits fail is ignored, text and all;
- the amount: equal to the named invoice's open balance, to the named invoices together,
  to that balance less bank charges within ``CASH_BANK_CHARGES_TOLERANCE`` or less the
  early-payment discount within its days (``CASH_EARLY_PAYMENT_DISCOUNT``), a part payment or
  an overpayment of it; without a number, the one way to make the amount from the payer's
  open invoices (one invoice, or a combination of up to ``COMBINATION_MAX`` found by a
  bounded subset-sum). The rest is settled with the payment only when a person would not
  have to approve it: at most ``CASH_WRITE_OFF_APPROVAL_LIMIT`` (both limits are in the
  reporting currency, the rest converted at the payment's date: ``cash.limits``);
- the payer: the bank account that paid this customer before, or the customer's name.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Upper
from django.utils import timezone
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from accounts.locale_format import format_amount
from accounts.models import Customer
from accounts.money import minor_unit
from invoices.models import AdjustmentKind, Invoice
from invoices.services.adjustments import small_balance_limit

from . import limits
from .models import BankTransaction

DIGITS_ALONE_MIN = 5  # "12345" in a text names an invoice; "123" may be anything
COMBINATION_MAX = 4  # invoices in one combination the subset-sum tries
COMBINATION_POOL = 40  # open invoices it looks at (the oldest due that fit the amount)
COMBINATION_STEPS = 20_000  # nodes it may visit before it gives up (bounded time)
RF_START = re.compile(r"^RF\d\d")
TOKEN = re.compile(r"[A-Za-z]*[\s\-.#:/]*\d[\dA-Za-z\-./]*")
LEGAL_FORMS = {
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "co", "corp", "corporation",
    "company", "gmbh", "ag", "sa", "sarl", "bv", "nv", "srl", "spa", "oy", "ab", "as", "kg",
    "the", "and",
}  # fmt: skip
SCORE = {
    "rf": 70,
    "number": 60,
    "digits": 50,
    "amount_equal": 30,
    "together": 30,
    "part": 15,
    "over": 10,
    "less_charges": 30,
    "less_discount": 30,
    "payer": 10,
    "payer_account_alone": 20,  # no number: the learned bank account is the payer's identity
    "only_amount": 60,  # the one way to make the amount from the payer's open invoices
    "some_amount": 25,
}


@dataclass(frozen=True)
class Candidate:
    invoice: Invoice
    amount: Decimal  # what applying it would put on the invoice
    score: int
    reason: str
    # which plan it belongs to: "named" / "combination" candidates are applied together
    group: str = "single"
    # the rest of the balance written off with it: bank charges, an early-payment discount
    settle: Decimal = Decimal("0")
    settle_kind: str = ""
    settle_reason: str = ""


def full_key(text: str) -> str:
    """Letters and numbers of an invoice number, each number without leading zeros."""
    runs = re.findall(r"[A-Z]+|[0-9]+", text.upper())
    return "".join(run.lstrip("0") or "0" if run.isdigit() else run for run in runs)


def digits_key(text: str) -> str:
    return "".join(re.findall(r"[0-9]+", text)).lstrip("0")


def rf_reference(number: str) -> str:
    """The ISO 11649 creditor reference that carries an invoice number ("RF73INV000123")."""
    body = rf_body(number)
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def rf_body(number: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", number.upper())


def rf_references(text: str) -> tuple[set[str], list[str], str]:
    """The bodies of the RF references in a text whose check digits hold, the references
    whose check digits fail, and the text without any of them (a failed reference names
    nothing: its body may be one typo away from another invoice's number).

    References come printed in groups of four ("RF18 5390 0754 7034") or in one piece; the
    longest run of groups that validates wins."""
    words = (text or "").upper().split()
    valid: set[str] = set()
    invalid: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(words):
        word = words[i].strip(".,;:()")
        if not RF_START.match(word):
            kept.append(words[i])
            i += 1
            continue
        runs = [word]
        j = i + 1
        if len(word) == 4:
            while j < len(words) and len(runs) < 7 and re.fullmatch(r"[A-Z0-9]{1,4}", words[j]):
                runs.append(words[j].strip(".,;:()"))
                j += 1
        found = None
        for length in range(len(runs), 0, -1):
            candidate = "".join(runs[:length])
            if len(candidate) > 4 and iso11649.is_valid(candidate):
                found = candidate
                j = i + length
                break
        if found:
            valid.add(found[4:])
        else:
            invalid.append("".join(runs[: max(1, j - i)]))
        i = max(j, i + 1)
    return valid, invalid, " ".join(kept)


def rf_matches(number: str, bodies: set[str]) -> bool:
    body = rf_body(number)
    return body in bodies or (body.lstrip("0") or "0") in {b.lstrip("0") or "0" for b in bodies}


def text_keys(text: str) -> tuple[set[str], set[str]]:
    """The full keys and digit keys of every number-like token in a remittance text; a token
    is tried with and without the words before it ("Rg.-Nr. 1234" → "NR1234", "1234").
    RF references count by their body, and only when their check digits hold."""
    bodies, _invalid, text = rf_references(text)
    full: set[str] = set()
    digits: set[str] = set()
    tokens = TOKEN.findall(text or "")
    # a number printed in two groups ("2026 00335"): the pair is tried joined as well
    pairs = [
        a.strip() + b.strip()
        for a, b in itertools.pairwise(tokens)
        if re.fullmatch(r"\s*\d+", b) and re.search(r"\d$", a.strip())
    ]
    for token in [*tokens, *pairs, *bodies]:
        token = token.strip(" -./:#")
        full.add(full_key(token))
        bare = re.sub(r"^[A-Za-z]+[\s\-.#:/]*", "", token)
        full.add(full_key(bare))
        key = digits_key(token)
        if len(key) >= DIGITS_ALONE_MIN:
            digits.add(key)
    full.discard("")
    return full, digits


def names_something(text: str) -> bool:
    """Whether the text holds a number long enough to be an invoice's (4 digits or more):
    then an amount alone must not apply money to another invoice than the one it meant."""
    bodies, invalid, rest = rf_references(text)
    return bool(bodies or invalid or re.search(r"\d{4,}", re.sub(r"[\-./]", "", rest)))


def name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", (name or "").lower().replace(".", ""))
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


def early_payment_discount() -> tuple[Decimal, int]:
    """The early-payment discount of the terms: (percent, days from the issue date)."""
    percent, days = getattr(settings, "CASH_EARLY_PAYMENT_DISCOUNT", ("2.00", 10))
    return Decimal(str(percent)), int(days)


@dataclass(frozen=True)
class Short:
    """What an invoice's balance less the amount paid looks like: an early-payment discount
    or bank charges. ``automatic``: it may be settled with the payment without a person."""

    points: int
    words: str
    amount: Decimal
    kind: str
    reason: str
    held: str = ""  # why a person must write it off instead (a limit, a missing rate)

    @property
    def automatic(self) -> bool:
        return not self.held


def _short_of(invoice: Invoice, amount: Decimal, received: datetime.date | None) -> Short | None:
    """When ``amount`` is less than the invoice's balance by what looks like the early-payment
    discount taken within its days (on an invoice nothing was paid on yet) or bank charges
    within the tolerance. Settled without a person only within the write-off approval limit:
    a write-off above it waits for someone's approval whatever the tolerance says."""
    short = invoice.open_amount - amount
    if short <= 0:
        return None
    currency = invoice.currency_id
    short_in = limits.converted(short, currency, received or timezone.localdate())
    approval = short_in.against(limits.WRITE_OFF_APPROVAL, what="the write-off approval limit")
    percent, days = early_payment_discount()
    if (
        percent > 0
        and received is not None
        and invoice.open_amount == invoice.amount
        and received <= invoice.issue_date + datetime.timedelta(days=days)
    ):
        quantum = Decimal(1).scaleb(-minor_unit(currency))
        discount = (invoice.amount * percent / 100).quantize(quantum, rounding=ROUND_HALF_UP)
        if abs(short - discount) <= quantum:
            return Short(
                SCORE["less_discount"],
                f"the amount is its balance less the {percent.normalize()} % early-payment "
                f"discount, paid within {days} days",
                short,
                AdjustmentKind.DISCOUNT,
                f"early-payment discount {percent.normalize()} % (paid within {days} days)",
                "" if approval.within else approval.words,
            )
    if short > small_balance_limit():
        return None
    tolerance = short_in.against(limits.BANK_CHARGES, what="the bank charges tolerance")
    if short_in.value is not None and not tolerance.within:
        return None  # more than bank charges: a part payment
    return Short(
        SCORE["less_charges"],
        f"the amount is its balance less {format_amount(short, currency)} bank charges "
        "(within the tolerance)",
        short,
        AdjustmentKind.SMALL_BALANCE,
        "bank charges deducted by the payer's bank",
        ""
        if tolerance.within and approval.within
        else (tolerance.words if not tolerance.within else approval.words),
    )


def combinations(invoices: list[Invoice], amount: Decimal, *, most: int = 2) -> list[list]:
    """Up to ``most`` sets of 2 to ``COMBINATION_MAX`` open invoices whose balances add up to
    ``amount`` exactly: a depth-first subset-sum over the ``COMBINATION_POOL`` oldest that
    fit, visiting at most ``COMBINATION_STEPS`` nodes (an incomplete search says so)."""
    pool = [i for i in invoices if 0 < i.open_amount < amount][:COMBINATION_POOL]
    pool.sort(key=lambda i: -i.open_amount)
    found: list[list] = []
    steps = 0
    suffix = [Decimal("0")] * (len(pool) + 1)
    for k in range(len(pool) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + pool[k].open_amount

    def walk(start: int, left: Decimal, chosen: list) -> bool:
        nonlocal steps
        for k in range(start, len(pool)):
            steps += 1
            if steps > COMBINATION_STEPS:
                return False
            value = pool[k].open_amount
            if suffix[k] < left or value * (COMBINATION_MAX - len(chosen)) < left:
                break  # what is left of the pool (largest first) cannot make it any more
            if value > left:
                continue
            if value == left:
                if chosen:
                    found.append([*chosen, pool[k]])
                    if len(found) >= most:
                        return False
                continue
            if len(chosen) + 1 < COMBINATION_MAX and not walk(
                k + 1, left - value, [*chosen, pool[k]]
            ):
                return False
        return True

    complete = walk(0, amount, [])
    if not complete and len(found) < most:
        found.append([])  # the search stopped early: there may be another way
    return found


def rank(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    remittance: str,
    payer_name: str = "",
    payer_known: bool = False,
    payer_name_known: bool = False,
    received_date: datetime.date | None = None,
) -> list[Candidate]:
    """Candidate invoices of the paying customer and its child accounts, best first."""
    invoices = list(
        Invoice.objects.filter(
            Q(customer=customer) | Q(customer__parent=customer),
            currency_id=currency,
            open_amount__gt=0,
        ).order_by("due_date", "id")[:2000]
    )
    bodies, _invalid, _rest = rf_references(remittance)
    full, digits = text_keys(remittance)
    named: dict[int, tuple[int, str]] = {}
    for invoice in invoices:
        if bodies and rf_matches(invoice.number, bodies):
            named[invoice.pk] = (
                SCORE["rf"],
                f"the creditor reference (RF, check digits valid) is invoice {invoice.number}",
            )
        elif full_key(invoice.number) in full:
            named[invoice.pk] = (SCORE["number"], f"invoice number {invoice.number} is in the text")
        elif digits_key(invoice.number) in digits:
            named[invoice.pk] = (
                SCORE["digits"],
                f"the digits of {invoice.number} are in the text (prefix and zeros aside)",
            )
    payer_words: list[str] = []
    payer_points = 0
    if payer_known:
        payer_points = SCORE["payer"] if named else SCORE["payer_account_alone"]
        payer_words = ["this bank account paid the customer before"]
    elif payer_name and name_key(payer_name) == name_key(customer.name):
        payer_points = SCORE["payer"]
        payer_words = [f"the payer name is {customer.name}'s"]
    elif payer_name_known:
        payer_points = SCORE["payer"]
        payer_words = [f"the payer name {payer_name!r} paid for the customer before"]
    by_id = {invoice.pk: invoice for invoice in invoices}
    out: list[Candidate] = []
    if named:
        together = sum((by_id[pk].open_amount for pk in named), Decimal("0"))
        for pk, (points, why) in named.items():
            invoice = by_id[pk]
            words = [why]
            share = min(invoice.open_amount, amount)
            short = _short_of(invoice, amount, received_date) if len(named) == 1 else None
            settle = short if short is not None and short.automatic else None
            group = "single"
            if len(named) == 1 and amount == invoice.open_amount:
                points += SCORE["amount_equal"]
                words.append("the amount equals its open balance")
            elif len(named) > 1 and amount == together:
                points += SCORE["together"]
                words.append(f"the amount equals the {len(named)} named invoices' open balances")
                share = invoice.open_amount
                group = "named"
            elif settle is not None:
                points += settle.points
                words.append(settle.words)
            elif len(named) == 1 and (other := _exactly(invoices, amount, invoice)):
                words.append(f"but invoice {other.number} is for exactly this amount")
            elif len(named) == 1 and amount < invoice.open_amount:
                points += SCORE["part"]
                words.append("a part payment of it")
                if short is not None:
                    words.append(f"{short.words}, but a person writes the rest off: {short.held}")
            elif len(named) == 1:
                over = format_amount(amount - invoice.open_amount, invoice.currency_id)
                words.append(f"pays it in full, {over} left on account")
                points += SCORE["over"]
            candidate = _candidate(invoice, share, points + payer_points, words + payer_words)
            if settle is not None:
                candidate = _settling(candidate, settle)
            out.append(_with_group(candidate, group))
    else:
        out = _by_amount(invoices, amount, remittance, payer_points, payer_words)
    out.sort(key=lambda c: (-c.score, c.invoice.due_date, c.invoice.pk))
    return out[:10]


def _exactly(invoices: list[Invoice], amount: Decimal, named: Invoice) -> Invoice | None:
    """Another open invoice for exactly the amount: the number may be mistyped, so the named
    one is not paid in part or over with any certainty."""
    return next((i for i in invoices if i.open_amount == amount and i.pk != named.pk), None)


def _by_amount(invoices, amount, remittance, payer_points, payer_words) -> list[Candidate]:
    """No invoice named: the invoices the amount alone points to. The amount applies money
    without a person only when there is exactly one way to make it from the payer's open
    invoices (one invoice, or one combination) and the text names no other number."""
    same = [invoice for invoice in invoices if invoice.open_amount == amount]
    combos = combinations(invoices, amount) if len(same) <= 1 else []
    ways = len(same) + len(combos)
    silent = not names_something(remittance)
    sure = ways == 1 and silent
    if same:
        if sure:
            points, why = SCORE["only_amount"], "the only open invoice for exactly this amount"
        else:
            points = SCORE["some_amount"]
            why = (
                f"one of {len(same)} open invoices for exactly this amount"
                if len(same) > 1
                else "an open invoice for exactly this amount (the text names another number)"
                if not silent
                else "an open invoice for exactly this amount (a combination also makes it)"
            )
        return [
            _candidate(invoice, amount, points + payer_points, [why, *payer_words])
            for invoice in same
        ]
    if not combos or not combos[0]:
        return []
    combo = sorted(combos[0], key=lambda i: (i.due_date, i.pk))
    numbers = ", ".join(i.number for i in combo)
    if len(combos) == 1 and silent:
        points, why = SCORE["only_amount"], f"the only combination of open invoices ({numbers})"
    else:
        points, why = SCORE["some_amount"], f"one of several ways to make the amount ({numbers})"
    why += " that adds up to exactly this amount"
    return [
        _with_group(
            _candidate(invoice, invoice.open_amount, points + payer_points, [why, *payer_words]),
            "combination",
        )
        for invoice in combo
    ]


def _candidate(invoice, share, points, words) -> Candidate:
    reason = "; ".join(words)
    return Candidate(invoice=invoice, amount=share, score=min(points, 100), reason=reason[:300])


def _with_group(candidate: Candidate, group: str) -> Candidate:
    return replace(candidate, group=group)


def _settling(candidate: Candidate, settle: Short) -> Candidate:
    return replace(
        candidate, settle=settle.amount, settle_kind=settle.kind, settle_reason=settle.reason
    )


def automatic_plan(candidates: list[Candidate], threshold: int) -> list[Candidate]:
    """What to apply without a person: every candidate at or above the threshold, when they
    are one plan (the named invoices paid together, or the one combination), never two
    invoices that would each take the money."""
    sure = [c for c in candidates if c.score >= threshold]
    if not sure:
        return []
    if len(sure) > 1:
        groups = {c.group for c in sure}
        if len(groups) != 1 or groups & {"single"}:
            return []
        wanted = [c for c in candidates if c.group == sure[0].group]
        if len(wanted) != len(sure):
            return []  # part of a plan is unsure: apply none of it
    total = sum((c.amount for c in sure), Decimal("0"))
    return sure if total > 0 else []
