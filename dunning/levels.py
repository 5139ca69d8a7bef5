"""Which level each overdue invoice reaches, and what one customer's communication is.

Pure functions over plain data, so the edge days and skip rules are tested without a database.
Rules (docs/dunning.md):
- an invoice climbs **one level at a time**: the next level needs the previous one sent for
  it (``level_number``), its trigger day reached (days past due only make it *eligible*) and
  its minimum days since the previous level passed. A policy with ``catch_up`` may instead
  start an invoice at the highest level its age allows;
- a level applies to an invoice only from that level's minimum amount per invoice
  (converted to the reporting currency; no rate in force: flagged, never taken as 1:1);
- a customer gets a communication when at least one invoice moves. It covers every overdue
  invoice (disputed and stopped ones left out) at its level, and is sent at the highest
  level among the invoices that qualify; a balance below the first level's minimum is listed
  for information and never drives the level;
- the collector's work comes first: a recent personal contact, a promise not yet due or
  lately kept, a payment plan on schedule, an open escalation each hold the customer back.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models import DunningChannel, SkipReason


@dataclass(frozen=True)
class LevelRule:
    id: int
    number: int
    name: str
    days_past_due: int
    channel: str
    template_code: str
    minimum_overdue_amount: Decimal
    minimum_days_since_previous: int
    escalation_action: str
    minimum_invoice_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class InvoiceFacts:
    id: int
    number: str
    currency: str
    open_amount: Decimal
    due_date: datetime.date
    level_number: int = 0
    last_dunned_on: datetime.date | None = None
    disputed: bool = False
    stop_until: datetime.date | None = None
    stop_reason: str = ""


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    do_not_contact: bool = False
    stop_until: datetime.date | None = None
    stop_reason: str = ""
    open_promise: bool = False
    open_plan: bool = False
    in_other_run: bool = False
    email: str = ""
    contact_id: int | None = None
    postal_address: str = ""
    promise_detail: str = ""
    last_contact_on: datetime.date | None = None
    open_escalation: bool = False


@dataclass(frozen=True)
class Line:
    invoice: InvoiceFacts
    days_past_due: int
    previous_level_number: int
    level_number: int
    informational: bool = False


@dataclass(frozen=True)
class Skip:
    reason: str
    detail: str = ""
    invoice_id: int | None = None


@dataclass
class Decision:
    """A customer's outcome: a communication at ``level`` with ``lines``, or ``skips`` only."""

    level: LevelRule | None = None
    lines: list[Line] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)

    @property
    def sends(self) -> bool:
        return self.level is not None

    def totals(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            if not line.informational:
                out[line.invoice.currency] += line.invoice.open_amount
        return dict(sorted(out.items()))


def target_level(levels: list[LevelRule], days_past_due: int) -> LevelRule | None:
    """The highest level whose trigger day ``days_past_due`` has reached."""
    reached = [lv for lv in levels if days_past_due >= lv.days_past_due]
    return max(reached, key=lambda lv: lv.number) if reached else None


def stop_active(stop_until: datetime.date | None, as_of: datetime.date) -> bool:
    """A stop holds through its end date and lapses the day after."""
    return stop_until is not None and as_of <= stop_until


def late_interest(
    open_amount: Decimal, annual_percent: Decimal, days_late: int, places: int = 2
) -> Decimal:
    """Simple interest for ``days_late`` days on an actual/365 basis, rounded half up to the
    currency's minor unit (Directive 2011/7/EU: reference rate + 8 points)."""
    if days_late <= 0 or annual_percent <= 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    raw = open_amount * annual_percent / Decimal(100) * Decimal(days_late) / Decimal(365)
    return raw.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class _Amounts:
    """An invoice's open amount in the reporting currency, converted once, for the minimums."""

    def __init__(self, inv: InvoiceFacts, convert):
        self.inv = inv
        self.convert = convert
        self._value: Decimal | None = None
        self._done = False

    def value(self) -> Decimal | None:
        if not self._done:
            self._done = True
            if self.convert is None:
                self._value = self.inv.open_amount
            else:
                self._value = self.convert(self.inv.currency, self.inv.open_amount)
        return self._value

    def reaches(self, level: LevelRule | None) -> bool | None:
        """True/False against the level's minimum per invoice; None: no rate to judge."""
        if level is None or level.minimum_invoice_amount <= 0:
            return True
        value = self.value()
        if value is None:
            return None
        return value >= level.minimum_invoice_amount


def next_level(
    levels: list[LevelRule], inv: InvoiceFacts, days: int, *, catch_up: bool = False
) -> list[LevelRule]:
    """The levels this invoice may move to today by age and order, best first: the one after
    its current level; with catch-up, every higher level its age has reached."""
    if catch_up:
        reached = [lv for lv in levels if lv.number > inv.level_number and days >= lv.days_past_due]
        return sorted(reached, key=lambda lv: -lv.number)
    following = [lv for lv in levels if lv.number > inv.level_number]
    if not following:
        return []
    candidate = min(following, key=lambda lv: lv.number)
    return [candidate] if days >= candidate.days_past_due else []


def decide(
    *,
    customer: CustomerFacts,
    invoices: list[InvoiceFacts],
    levels: list[LevelRule],
    as_of: datetime.date,
    to_policy_currency=None,
    catch_up: bool = False,
) -> Decision:
    """The communication (or skips) for one customer on ``as_of``.

    ``to_policy_currency(currency, amount)`` converts an amount into the reporting currency
    for the minimums; it returns None when no rate is in force.
    """
    levels = sorted(levels, key=lambda lv: lv.number)
    if not levels:
        return Decision()
    by_number = {lv.number: lv for lv in levels}
    first = levels[0]
    decision = Decision()
    overdue = [inv for inv in invoices if (as_of - inv.due_date).days >= 1 and inv.open_amount > 0]
    if overdue and all(inv.disputed for inv in overdue):
        numbers = ", ".join(inv.number for inv in overdue)
        decision.skips.append(
            Skip(SkipReason.DISPUTED, f"every overdue invoice is in dispute: {numbers}")
        )
        return decision
    lines: list[Line] = []
    moving = False
    for inv in overdue:
        days = (as_of - inv.due_date).days
        if inv.disputed:
            decision.skips.append(Skip(SkipReason.DISPUTED, inv.number, inv.id))
            continue
        if stop_active(inv.stop_until, as_of):
            detail = f"{inv.number}: {inv.stop_reason} (until {inv.stop_until:%Y-%m-%d})"
            decision.skips.append(Skip(SkipReason.INVOICE_STOP, detail, inv.id))
            continue
        amounts = _Amounts(inv, to_policy_currency)
        level = inv.level_number
        candidates = next_level(levels, inv, days, catch_up=catch_up)
        if candidates:
            judged = [(lv, amounts.reaches(lv)) for lv in candidates]
            allowed = [lv for lv, ok in judged if ok]
            if allowed:
                target = allowed[0]
                since = (as_of - inv.last_dunned_on).days if inv.last_dunned_on else None
                if since is not None and since < target.minimum_days_since_previous:
                    detail = (
                        f"{inv.number}: level {inv.level_number} sent {since} days ago, "
                        f"{target.name} needs {target.minimum_days_since_previous}"
                    )
                    decision.skips.append(Skip(SkipReason.TOO_SOON, detail, inv.id))
                else:
                    level = target.number
                    moving = True
            elif any(ok is None for _lv, ok in judged):
                detail = f"{inv.number}: no rate in force for {inv.currency} on {as_of:%Y-%m-%d}"
                decision.skips.append(Skip(SkipReason.NO_RATE, detail, inv.id))
            else:
                lv = candidates[-1]
                detail = (
                    f"{inv.number}: {inv.open_amount:.2f} {inv.currency} is below the "
                    f"{lv.name} minimum of {lv.minimum_invoice_amount:.2f} per invoice"
                )
                decision.skips.append(Skip(SkipReason.BELOW_MINIMUM, detail, inv.id))
        standing = by_number.get(level, first)
        informational = not amounts.reaches(standing)
        lines.append(Line(inv, days, inv.level_number, level, informational))
    if not moving:
        return decision

    blocked = _customer_block(customer, as_of)
    if blocked:
        decision.skips.append(blocked)
        return decision

    top = max(line.level_number for line in lines if not line.informational)
    chosen = by_number[top]
    decision.lines = sorted(
        lines, key=lambda ln: (ln.informational, ln.invoice.currency, ln.invoice.due_date)
    )
    below = _below_minimum(decision, chosen, to_policy_currency)
    if below:
        decision.lines = []
        decision.skips.append(below)
        return decision
    if chosen.channel == DunningChannel.EMAIL and not customer.email:
        decision.lines = []
        decision.skips.append(Skip(SkipReason.NO_ADDRESS, "no contact with an e-mail address"))
        return decision
    if chosen.channel == DunningChannel.LETTER and not customer.postal_address.strip():
        decision.lines = []
        decision.skips.append(Skip(SkipReason.NO_ADDRESS, "no billing address for a letter"))
        return decision
    decision.level = chosen
    return decision


def _customer_block(customer: CustomerFacts, as_of: datetime.date) -> Skip | None:
    if customer.do_not_contact:
        return Skip(SkipReason.DO_NOT_CONTACT)
    if stop_active(customer.stop_until, as_of):
        return Skip(
            SkipReason.CUSTOMER_STOP,
            f"{customer.stop_reason} (until {customer.stop_until:%Y-%m-%d})",
        )
    if customer.last_contact_on is not None:
        return Skip(
            SkipReason.RECENT_CONTACT,
            f"last spoken to or written to by a person on {customer.last_contact_on:%Y-%m-%d}",
        )
    if customer.open_promise:
        return Skip(SkipReason.PROMISE, customer.promise_detail)
    if customer.open_plan:
        return Skip(SkipReason.PAYMENT_PLAN)
    if customer.open_escalation:
        return Skip(SkipReason.ESCALATION, "the credit manager has the account")
    if customer.in_other_run:
        return Skip(SkipReason.IN_OTHER_RUN)
    return None


def _below_minimum(decision: Decision, level: LevelRule, convert) -> Skip | None:
    if level.minimum_overdue_amount <= 0:
        return None
    total = Decimal(0)
    for currency, amount in decision.totals().items():
        converted = convert(currency, amount) if convert else amount
        if converted is None:
            return Skip(SkipReason.NO_RATE, f"no rate in force for {currency}")
        total += converted
    if total < level.minimum_overdue_amount:
        return Skip(
            SkipReason.BELOW_MINIMUM,
            f"overdue {total:.2f} < {level.name} minimum {level.minimum_overdue_amount:.2f}",
        )
    return None
