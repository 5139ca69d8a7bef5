"""Which level each overdue invoice reaches, and what one customer's communication is.

Pure functions over plain data, so the edge days and skip rules are tested without a database.
Rules (docs/dunning.md):
- an invoice's target level is the highest level whose trigger day it has reached
  (day 0 none, day 1 the first level, …); levels may be skipped by a late first run;
- it *moves* to that level only above the level it already has, and only if the level's
  minimum days since the invoice's previous level have passed;
- a customer gets a communication when at least one invoice moves; it covers every overdue
  invoice (disputed and stopped ones left out) at its level, grouped by currency, at the
  highest level among them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

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


@dataclass(frozen=True)
class Line:
    invoice: InvoiceFacts
    days_past_due: int
    previous_level_number: int
    level_number: int


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
            out[line.invoice.currency] += line.invoice.open_amount
        return dict(sorted(out.items()))


def target_level(levels: list[LevelRule], days_past_due: int) -> LevelRule | None:
    """The highest level whose trigger day ``days_past_due`` has reached."""
    reached = [lv for lv in levels if days_past_due >= lv.days_past_due]
    return max(reached, key=lambda lv: lv.number) if reached else None


def stop_active(stop_until: datetime.date | None, as_of: datetime.date) -> bool:
    """A stop holds through its end date and lapses the day after."""
    return stop_until is not None and as_of <= stop_until


def decide(
    *,
    customer: CustomerFacts,
    invoices: list[InvoiceFacts],
    levels: list[LevelRule],
    as_of: datetime.date,
    to_policy_currency=None,
) -> Decision:
    """The communication (or skips) for one customer on ``as_of``.

    ``to_policy_currency(currency, amount)`` converts a total into the policy's currency for
    the minimum-amount test; it returns None when no rate is in force.
    """
    levels = sorted(levels, key=lambda lv: lv.number)
    by_number = {lv.number: lv for lv in levels}
    decision = Decision()
    lines: list[Line] = []
    moving = False
    for inv in invoices:
        days = (as_of - inv.due_date).days
        if days < 1 or inv.open_amount <= 0:
            continue
        if inv.disputed:
            decision.skips.append(Skip(SkipReason.DISPUTED, inv.number, inv.id))
            continue
        if stop_active(inv.stop_until, as_of):
            detail = f"{inv.number}: {inv.stop_reason} (until {inv.stop_until:%Y-%m-%d})"
            decision.skips.append(Skip(SkipReason.INVOICE_STOP, detail, inv.id))
            continue
        level = inv.level_number
        target = target_level(levels, days)
        if target is not None and target.number > inv.level_number:
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
        lines.append(Line(inv, days, inv.level_number, level))
    if not moving:
        return decision

    blocked = _customer_block(customer, as_of)
    if blocked:
        decision.skips.append(blocked)
        return decision

    top = max(line.level_number for line in lines)
    chosen = by_number[top]
    decision.lines = sorted(lines, key=lambda ln: (ln.invoice.currency, ln.invoice.due_date))
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
    if customer.open_promise:
        return Skip(SkipReason.PROMISE)
    if customer.open_plan:
        return Skip(SkipReason.PAYMENT_PLAN)
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
