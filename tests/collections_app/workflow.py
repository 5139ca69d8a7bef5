"""Helpers shared by the collector-workspace tests: dated invoices, cash, collectors."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts import roles
from invoices import services as ledger
from tests.factories import CustomerFactory, invoice, payment, user_in_role


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def overdue_invoice(customer, amount: str, *, days_late: int, number: str | None = None):
    """An invoice whose due date is ``days_late`` days before today (net 30)."""
    issue = today() - days(days_late + 30)
    return invoice(customer, amount, number=number, issue_date=issue, due_days=30)


def pay(customer, amount: str, *, on: datetime.date | None = None, invoices=None, reference=None):
    """Post cash and apply it to ``invoices`` (all of it, oldest first if none named)."""
    cash = payment(customer, amount, received_date=on or today(), reference=reference)
    if invoices:
        remaining = Decimal(amount)
        allocations = []
        for inv in invoices:
            part = min(remaining, inv.open_amount)
            if part > 0:
                allocations.append(ledger.Allocation(invoice_id=inv.pk, amount=part))
                remaining -= part
        return ledger.payment_apply(
            actor=None, payment=cash, allocations=allocations, effective_date=on or today()
        )
    return ledger.payment_apply_oldest_first(actor=None, payment=cash)


def collector(name: str):
    return user_in_role(roles.COLLECTOR, name)


def credit_manager(name: str = "carla"):
    return user_in_role(roles.CREDIT_MANAGER, name)


def account(owner, name: str = "Northwind Packaging Co.", **kw):
    return CustomerFactory(name=name, assigned_collector=owner, **kw)
