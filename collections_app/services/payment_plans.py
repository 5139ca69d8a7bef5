"""Payment plans: instalments agreed with the customer, judged by the ledger's cash.

A plan is **broken** when the cash (payments, not credit memos) applied to the customer's
invoices in the plan's currency, from the day it was agreed to an instalment's
``due_date + PROMISE_GRACE_DAYS``, falls short of the instalments due up to then; it is
**completed** once that cash covers every instalment. A reversal counts on the date of
the application it undoes, as for promises.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ServiceError
from accounts.locale_format import format_amount
from accounts.models import Customer
from accounts.money import in_minor_units, to_positive_money

from ..models import (
    PAYMENT_PLAN_TRANSITIONS,
    ActivityKind,
    PaymentPlan,
    PaymentPlanInstallment,
    PaymentPlanStatus,
)
from .activities import activity_add
from .commitments import commitment_cancel
from .queue import queue_state_refresh

MAX_INSTALLMENTS = 24


def grace_days() -> int:
    """The promises' grace (``PROMISE_GRACE_DAYS``): an instalment is a dated promise."""
    return int(getattr(settings, "PROMISE_GRACE_DAYS", 3))


COLLECTED_BY_INSTALLMENT_SQL = """
SELECT s.id, s.plan_id,
       COALESCE((
           SELECT SUM(a.amount)
           FROM invoices_application a
           JOIN invoices_invoice i ON i.id = a.invoice_id
           LEFT JOIN invoices_application o ON o.id = a.reverses_id
           WHERE a.payment_id IS NOT NULL
             AND a.currency_id = p.currency_id
             AND i.customer_id = p.customer_id
             AND COALESCE(o.effective_date, a.effective_date)
                 BETWEEN (p.created_at AT TIME ZONE %(tz)s)::date AND s.due_date + %(grace)s
       ), 0)
FROM collections_app_paymentplaninstallment s
JOIN collections_app_paymentplan p ON p.id = s.plan_id
WHERE p.id = ANY(%(ids)s)
"""


def payment_plan_agree(
    *,
    actor,
    customer: Customer,
    installments: list[tuple[datetime.date, Decimal]],
    note: str = "",
) -> PaymentPlan:
    if len(installments) < 2:
        raise ServiceError("a payment plan has at least two instalments", field="installments")
    if len(installments) > MAX_INSTALLMENTS:
        raise ServiceError(
            f"a payment plan has at most {MAX_INSTALLMENTS} instalments", field="installments"
        )
    today = timezone.localdate()
    rows = [(due, to_positive_money(amount, field="installments")) for due, amount in installments]
    dates = [due for due, _ in rows]
    if dates[0] < today:
        raise ServiceError("an instalment cannot be due in the past", field="installments")
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        raise ServiceError("instalment dates must be strictly increasing", field="installments")
    total = sum((amount for _, amount in rows), Decimal("0"))
    currency = customer.currency_id
    for _, amount in rows:
        in_minor_units(amount, currency, field="installments")
    with transaction.atomic():
        plan = PaymentPlan.objects.create(
            customer=customer,
            currency_id=currency,
            total_amount=total,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        PaymentPlanInstallment.objects.bulk_create(
            PaymentPlanInstallment(plan=plan, due_date=due, amount=amount) for due, amount in rows
        )
        activity_add(
            actor=actor,
            customer=customer,
            kind=ActivityKind.PROMISE,
            summary=f"Payment plan of {format_amount(total, currency)} in {len(rows)} instalments, "
            f"{dates[0]:%b %d, %Y} to {dates[-1]:%b %d, %Y}",
            note=note,
        )
        audit_record(
            actor=actor,
            action="payment_plan.agree",
            instance=plan,
            after={
                "customer": customer.pk,
                "currency": currency,
                "total_amount": str(total),
                "installments": [[due.isoformat(), str(amount)] for due, amount in rows],
            },
        )
        queue_state_refresh(customer_ids=[customer.pk])
    return plan


def judge_plan(
    *,
    installments: list[tuple[datetime.date, Decimal, Decimal]],
    today: datetime.date,
    grace: datetime.timedelta,
) -> str:
    """``installments``: (due date, amount, cash in by that instalment's deadline), by date."""
    due_so_far = Decimal("0")
    for due_date, amount, collected in installments:
        due_so_far += amount
        if due_date + grace < today and collected < due_so_far:
            return PaymentPlanStatus.BROKEN
    if installments and installments[-1][2] >= due_so_far:
        return PaymentPlanStatus.COMPLETED
    return PaymentPlanStatus.OPEN


def payment_plan_set_status(*, actor, plan: PaymentPlan, status: str, collected: Decimal) -> bool:
    """Move a plan (already locked by the caller) along its transition table."""
    if status == plan.status:
        if collected != plan.collected_amount:
            plan.collected_amount = collected
            plan.save(update_fields=["collected_amount"])
        return False
    if status not in PAYMENT_PLAN_TRANSITIONS[plan.status]:
        raise ServiceError(
            f"a {plan.get_status_display().lower()} payment plan cannot become {status}",
            field="status",
            code="invalid_transition",
        )
    before = {"status": plan.status, "collected_amount": str(plan.collected_amount)}
    plan.status = status
    plan.collected_amount = collected
    plan.evaluated_at = timezone.now()
    plan.save(update_fields=["status", "collected_amount", "evaluated_at"])
    audit_record(
        actor=actor,
        action="payment_plan.status",
        instance=plan,
        before=before,
        after={"status": status, "collected_amount": str(collected)},
    )
    activity_add(
        actor=None,
        customer=plan.customer,
        kind=ActivityKind.SYSTEM,
        summary=f"Payment plan of {format_amount(plan.total_amount, plan.currency_id)} "
        f"{plan.get_status_display().lower()} "
        f"({format_amount(collected, plan.currency_id)} collected)",
    )
    return True


def payment_plans_evaluate(*, customer_ids: set[int] | None = None, actor=None) -> int:
    """Re-judge the plans of these customers (or, with None, every open plan — the daily
    sweep). Returns how many changed status."""
    today = timezone.localdate()
    grace = datetime.timedelta(days=grace_days())
    with transaction.atomic():
        plans = PaymentPlan.objects.select_for_update(of=("self",)).select_related("customer")
        if customer_ids is None:
            plans = plans.filter(status=PaymentPlanStatus.OPEN)
        else:
            plans = plans.filter(customer_id__in=customer_ids).exclude(
                status=PaymentPlanStatus.CANCELLED
            )
        plans = list(plans.order_by("pk"))
        if not plans:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                COLLECTED_BY_INSTALLMENT_SQL,
                {
                    "ids": [p.pk for p in plans],
                    "grace": grace_days(),
                    "tz": timezone.get_current_timezone_name(),
                },
            )
            collected = {pk: Decimal(total) for pk, _, total in cursor.fetchall()}
        by_plan: dict[int, list] = defaultdict(list)
        for row in PaymentPlanInstallment.objects.filter(plan__in=plans).order_by(
            "plan_id", "due_date"
        ):
            by_plan[row.plan_id].append((row.due_date, row.amount, collected.get(row.pk, 0)))
        changed = 0
        touched: set[int] = set()
        for plan in plans:
            rows = by_plan[plan.pk]
            status = judge_plan(installments=rows, today=today, grace=grace)
            cash_in = min(rows[-1][2], plan.total_amount) if rows else Decimal("0")
            if payment_plan_set_status(actor=actor, plan=plan, status=status, collected=cash_in):
                changed += 1
                touched.add(plan.customer_id)
        if customer_ids is None and touched:
            queue_state_refresh(customer_ids=touched)
    return changed


def payment_plan_cancel(*, actor, plan: PaymentPlan, reason: str) -> PaymentPlan:
    return commitment_cancel(
        actor=actor,
        commitment=plan,
        transitions=PAYMENT_PLAN_TRANSITIONS,
        cancelled=PaymentPlanStatus.CANCELLED,
        noun="payment plan",
        action="payment_plan.cancel",
        amount="total_amount",
        reason=reason,
    )
