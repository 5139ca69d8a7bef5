from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.models import Currency, Customer
from accounts.money import in_minor_units, to_positive_money

from ..models import Application, CreditMemo
from .allocations import Allocation, apply_locked, lock_invoices, lock_source, not_after_today

CREDIT_MEMO_FIELDS = ["number", "customer", "issue_date", "amount", "currency", "reason"]


def credit_memo_issue(
    *,
    actor,
    customer: Customer,
    number: str,
    issue_date: datetime.date,
    amount,
    reason: str,
    currency: Currency | str | None = None,
    allocations: Sequence[Allocation] = (),
) -> CreditMemo:
    amount = to_positive_money(amount)
    number = (number or "").strip()
    if not number:
        raise ServiceError("credit memo number is required", field="number")
    if not (reason or "").strip():
        raise ServiceError("say why the credit is issued", field="reason")
    not_after_today(issue_date, field="issue_date", what="issue date")
    currency_code = getattr(currency, "code", currency) or customer.currency_id
    currency_row = Currency.objects.filter(code=currency_code).first()
    if currency_row is None:
        raise ServiceError(f"unknown currency {currency_code!r}", field="currency")
    in_minor_units(amount, currency_row)
    try:
        with transaction.atomic():
            memo = CreditMemo.objects.create(
                number=number,
                customer=customer,
                issue_date=issue_date,
                amount=amount,
                currency_id=currency_code,
                unapplied_amount=amount,
                reason=reason.strip(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="credit_memo.issue",
                instance=memo,
                after=snapshot(memo, CREDIT_MEMO_FIELDS),
            )
            if allocations:
                credit_memo_apply(
                    actor=actor,
                    credit_memo=memo,
                    allocations=allocations,
                    effective_date=issue_date,
                )
    except IntegrityError:
        if CreditMemo.objects.filter(number=number).exists():
            raise ServiceError(
                f"credit memo {number} already exists", field="number", code="duplicate"
            ) from None
        raise
    return memo


def credit_memo_apply(
    *,
    actor,
    credit_memo: CreditMemo,
    allocations: Sequence[Allocation],
    effective_date: datetime.date | None = None,
) -> list[Application]:
    if not allocations:
        raise ServiceError("name at least one invoice to apply to", field="allocations")
    with transaction.atomic():
        locked = lock_source(credit_memo)
        invoices = lock_invoices([a.invoice_id for a in allocations])
        applications = apply_locked(
            actor=actor,
            source=locked,
            invoices=invoices,
            allocations=list(allocations),
            effective_date=effective_date or max(locked.issue_date, timezone.localdate()),
        )
    credit_memo.unapplied_amount = locked.unapplied_amount
    return applications
