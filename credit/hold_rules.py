"""Automatic hold rules (docs/credit.md): which customers meet each rule's condition (one
statement per rule, for every customer at once), and the services that keep the rules and
act on them.

A rule that starts to hold for a customer fires once (one open ``HoldRuleHit``): it puts the
account on hold or watch through the credit service (a ``CreditChange`` with the reason
"Hold rule"), or only writes a timeline line. A hold never softens a stop, a watch never
softens a hold. When the condition clears the hit is closed; a rule that says so lifts
its own hold or watch back to the status it replaced — only if that change is still the
account's latest status change (a person who changed it since has the last word).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.errors import ServiceError
from accounts.fx import RateBook
from accounts.locale_format import format_amount
from accounts.models import CreditStatus, Currency, Customer
from accounts.money import in_minor_units, to_money
from collections_app.models import ActivityKind
from collections_app.services.activities import activity_add

from .exposure import exposures_for
from .models import (
    CreditChange,
    CreditChangeKind,
    CreditReason,
    HoldRule,
    HoldRuleAction,
    HoldRuleHit,
    HoldRuleKind,
)
from .services import _lock, _status_write

# What each action moves the status to, and the statuses it may move it from.
ACTION_STATUS = {HoldRuleAction.HOLD: CreditStatus.HOLD, HoldRuleAction.WATCH: CreditStatus.WATCH}
ACTION_FROM = {
    HoldRuleAction.HOLD: {CreditStatus.GOOD, CreditStatus.WATCH},
    HoldRuleAction.WATCH: {CreditStatus.GOOD},
}
RULE_FIELDS = ["name", "kind", "action", "active", "lift_when_clear", "over_limit_pct", "days"]


# --- conditions: customer id -> why, in words -------------------------------------------------


def _over_limit(rule: HoldRule, today: datetime.date) -> dict[int, str]:
    customers = Customer.objects.filter(credit_limit__gt=0).only(
        "pk", "currency_id", "credit_limit"
    )
    factor = 1 + rule.over_limit_pct / 100
    out = {}
    for customer_id, exposure in exposures_for(customers, day=today).items():
        if exposure.total > exposure.credit_limit * factor:
            out[customer_id] = (
                f"exposure {format_amount(exposure.total, exposure.currency)} is "
                f"{exposure.used_pct}% "
                f"of the limit {format_amount(exposure.credit_limit, exposure.currency)}"
            )
    return out


def _past_due(rule: HoldRule, today: datetime.date) -> dict[int, str]:
    """The rule's amount in every currency with a rate in force (a currency without one
    cannot be compared, so its invoices are left out)."""
    book = RateBook.load(until=today)
    rule_rate = book.rate(rule.currency_id, today)
    currencies, thresholds = [], []
    for code in Currency.objects.values_list("code", flat=True):
        if code == rule.currency_id:
            currencies.append(code)
            thresholds.append(rule.amount)
        elif rule_rate is not None and (rate := book.rate(code, today)) is not None:
            currencies.append(code)
            thresholds.append(rule.amount * rule_rate / rate)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (i.customer_id) i.customer_id, i.number, i.open_amount,
                   i.currency_id, %(today)s - i.due_date
            FROM invoices_invoice i
            JOIN unnest(%(currencies)s::varchar[], %(thresholds)s::numeric[]) AS t(code, amount)
              ON t.code = i.currency_id
            WHERE i.open_amount > 0 AND i.open_amount > t.amount
              AND i.due_date < %(today)s - %(days)s
            ORDER BY i.customer_id, i.due_date, i.id
            """,
            {
                "today": today,
                "days": rule.days,
                "currencies": currencies,
                "thresholds": thresholds,
            },
        )
        rows = cursor.fetchall()
    return {
        customer_id: f"invoice {number} ({format_amount(amount, currency)}) is {days} days past due"
        for customer_id, number, amount, currency, days in rows
    }


def _broken_promise(rule: HoldRule, today: datetime.date) -> dict[int, str]:
    since = today - datetime.timedelta(days=rule.days)
    since_at = datetime.datetime.combine(
        since, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT customer_id, max(what) FROM (
                SELECT p.customer_id, 'a promise due ' || p.promised_date || ' was broken' AS what
                FROM collections_app_promise p
                WHERE p.status = 'broken' AND p.promised_date >= %(since)s
                UNION ALL
                SELECT pl.customer_id, 'a payment plan was broken on ' || pl.evaluated_at::date
                FROM collections_app_paymentplan pl
                WHERE pl.status = 'broken' AND pl.evaluated_at >= %(since_at)s
            ) broken GROUP BY customer_id
            """,
            {"since": since, "since_at": since_at},
        )
        return dict(cursor.fetchall())


def _risk_high(rule: HoldRule, today: datetime.date) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, score, previous_class FROM credit_customerrisk "
            "WHERE risk_class = 'high'"
        )
        rows = cursor.fetchall()
    return {
        customer_id: f"risk class high (score {score}" + (f", was {previous})" if previous else ")")
        for customer_id, score, previous in rows
    }


CONDITIONS = {
    HoldRuleKind.OVER_LIMIT: _over_limit,
    HoldRuleKind.PAST_DUE: _past_due,
    HoldRuleKind.BROKEN_PROMISE: _broken_promise,
    HoldRuleKind.RISK_HIGH: _risk_high,
}


def rule_matches(rule: HoldRule, *, today: datetime.date | None = None) -> dict[int, str]:
    """Every customer for whom ``rule``'s condition holds today, with why."""
    return CONDITIONS[rule.kind](rule, today or timezone.localdate())


# --- services ----------------------------------------------------------------------------------


def hold_rule_save(
    *,
    actor,
    rule: HoldRule | None = None,
    name: str,
    kind: str,
    action: str,
    active: bool = True,
    lift_when_clear: bool = False,
    over_limit_pct: Decimal | str | None = None,
    days: int | None = None,
    amount: Decimal | str | None = None,
    currency: str | None = None,
) -> HoldRule:
    """Create or change a hold rule; each kind needs its own parameters and no others."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("give the rule a name", field="name")
    if kind not in HoldRuleKind.values:
        raise ServiceError("choose what the rule checks", field="kind")
    if action not in HoldRuleAction.values:
        raise ServiceError("choose what the rule does", field="action")
    if lift_when_clear and action == HoldRuleAction.NOTIFY:
        raise ServiceError(
            "a rule that only notifies sets no status, so it has nothing to lift",
            field="lift_when_clear",
        )
    values = {"over_limit_pct": None, "days": None, "amount": None, "currency_id": None}
    if kind == HoldRuleKind.OVER_LIMIT:
        if over_limit_pct in (None, ""):
            raise ServiceError("say by how many % over the limit", field="over_limit_pct")
        pct = to_money(over_limit_pct, field="over_limit_pct")
        if pct < 0:
            raise ServiceError("the % over the limit cannot be negative", field="over_limit_pct")
        values["over_limit_pct"] = pct
    if kind in (HoldRuleKind.PAST_DUE, HoldRuleKind.BROKEN_PROMISE):
        if days is None or days < (1 if kind == HoldRuleKind.BROKEN_PROMISE else 0):
            raise ServiceError("give the number of days", field="days")
        values["days"] = days
    if kind == HoldRuleKind.PAST_DUE:
        if amount in (None, ""):
            raise ServiceError("give the amount an invoice must be above", field="amount")
        if not currency or not Currency.objects.filter(code=currency).exists():
            raise ServiceError("choose the amount's currency", field="currency")
        values["amount"] = in_minor_units(to_money(amount, field="amount"), currency)
        if values["amount"] < 0:
            raise ServiceError("the amount cannot be negative", field="amount")
        values["currency_id"] = currency
    with transaction.atomic():
        if rule is not None:
            rule = HoldRule.objects.select_for_update().get(pk=rule.pk)
            before = snapshot(rule, [*RULE_FIELDS, "amount", "currency"])
        else:
            rule, before = HoldRule(), None
        if HoldRule.objects.filter(name=name).exclude(pk=rule.pk).exists():
            raise ServiceError(f"a rule named “{name}” exists already", field="name")
        rule.name, rule.kind, rule.action = name, kind, action
        rule.active, rule.lift_when_clear = active, lift_when_clear
        for field, value in values.items():
            setattr(rule, field, value)
        rule.save()
        audit_record(
            actor=actor,
            action="credit.hold_rule_save",
            instance=rule,
            before=before,
            after=snapshot(rule, [*RULE_FIELDS, "amount", "currency"]),
        )
    return rule


@dataclass
class RuleRun:
    fired: list[HoldRuleHit]
    cleared: list[HoldRuleHit]
    lifted: list[CreditChange]


def hold_rules_evaluate(*, today: datetime.date | None = None) -> RuleRun:
    """Nightly: every active rule against every customer; fire the new, clear the gone.

    Safe to run twice: a rule fires once per customer until its condition clears.
    """
    today = today or timezone.localdate()
    run = RuleRun(fired=[], cleared=[], lifted=[])
    for rule in HoldRule.objects.filter(active=True).order_by("pk"):
        matches = rule_matches(rule, today=today)
        open_hits = {
            hit.customer_id: hit for hit in HoldRuleHit.objects.filter(rule=rule, cleared_at=None)
        }
        for customer_id in sorted(set(matches) - set(open_hits)):
            run.fired.append(_fire(rule, customer_id, matches[customer_id]))
        for customer_id in sorted(set(open_hits) - set(matches)):
            hit, lifted = _clear(open_hits[customer_id])
            run.cleared.append(hit)
            if lifted is not None:
                run.lifted.append(lifted)
    return run


def _fire(rule: HoldRule, customer_id: int, detail: str) -> HoldRuleHit:
    with transaction.atomic():
        customer = _lock(Customer(pk=customer_id))
        change = None
        target = ACTION_STATUS.get(rule.action)
        if target is not None and customer.credit_status in ACTION_FROM[rule.action]:
            change = _status_write(
                actor=None,
                customer=customer,
                status=target,
                reason=CreditReason.RULE,
                comment=f"Rule “{rule.name}”: {detail}",
                until=None,
            )
        else:
            activity_add(
                actor=None,
                customer=customer,
                kind=ActivityKind.CREDIT,
                summary=f"Hold rule “{rule.name}” fired: {detail}"[:300],
                note=(
                    ""
                    if rule.action == HoldRuleAction.NOTIFY
                    else f"The account is already {customer.get_credit_status_display().lower()}."
                ),
            )
        hit = HoldRuleHit.objects.create(
            rule=rule, customer=customer, detail=detail[:300], change=change
        )
        audit_record(
            actor=None,
            action="credit.hold_rule_fired",
            instance=hit,
            after={
                "rule": rule.pk,
                "customer": customer.pk,
                "detail": detail,
                "action": rule.action,
                "credit_change": change.pk if change else None,
            },
        )
    return hit


def _clear(hit: HoldRuleHit) -> tuple[HoldRuleHit, CreditChange | None]:
    with transaction.atomic():
        customer = _lock(hit.customer)
        hit = (
            HoldRuleHit.objects.select_for_update(of=("self",))
            .select_related("rule", "change")
            .get(pk=hit.pk)
        )
        hit.cleared_at = timezone.now()
        lifted = None
        made = hit.change
        if hit.rule.lift_when_clear and made is not None:
            latest = (
                CreditChange.objects.filter(customer=customer, kind=CreditChangeKind.STATUS)
                .order_by("-created_at", "-id")
                .first()
            )
            if latest is not None and latest.pk == made.pk:
                lifted = _status_write(
                    actor=None,
                    customer=customer,
                    status=made.status_before,
                    reason=CreditReason.RULE,
                    comment=f"Rule “{hit.rule.name}”: the condition cleared",
                    until=None,
                )
        hit.lift_change = lifted
        hit.save(update_fields=["cleared_at", "lift_change"])
        audit_record(
            actor=None,
            action="credit.hold_rule_cleared",
            instance=hit,
            after={"rule": hit.rule_id, "customer": customer.pk, "lifted": bool(lifted)},
        )
    return hit, lifted


def rule_hit_acknowledge(*, actor, hit: HoldRuleHit) -> HoldRuleHit:
    """Note an "only notify" hit: it leaves the credit inbox, and the account's timeline and
    the audit trail say who noted it. A hit that held or watched the account is decided on
    the credit page instead (its status change)."""
    with transaction.atomic():
        locked = HoldRuleHit.objects.select_for_update().select_related("rule").get(pk=hit.pk)
        if locked.rule.action != HoldRuleAction.NOTIFY:
            raise ServiceError("only a notice is noted; change the status instead", field="hit")
        if locked.acknowledged_at is not None:
            raise ServiceError("this notice was noted already", field="hit", code="unchanged")
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
        activity_add(
            actor=actor,
            customer=locked.customer,
            kind=ActivityKind.CREDIT,
            summary=f"Hold rule “{locked.rule.name}” noted: {locked.detail}",
        )
        audit_record(
            actor=actor,
            action="credit.rule_hit.acknowledge",
            instance=locked,
            after={"rule": locked.rule_id, "customer": locked.customer_id},
        )
    return locked


def rule_hits_of(customer: Customer, *, limit: int = 20):
    return HoldRuleHit.objects.filter(customer=customer).select_related("rule")[:limit]
