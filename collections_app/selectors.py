"""Scoped reads of the collector's workflow: the queue, the workspace, the team figures.

Every read starts from ``accounts.selectors`` (or ``scope_to_portfolio``), so another
portfolio's account is never listed and is a 404 when named.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Least
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import roles
from accounts.buckets import BUCKET_LABELS
from accounts.locale_format import format_amount
from accounts.models import AuditEntry, Customer
from accounts.selectors import customers_for, scope_to_portfolio, sees_all_portfolios
from disputes.models import ACTIVE_STATUSES, Dispute
from disputes.selectors import open_disputed_amount
from invoices.models import Invoice, Payment

from .models import (
    Activity,
    ActivityKind,
    Escalation,
    EscalationStatus,
    FollowUp,
    FollowUpStatus,
    PaymentPlan,
    PaymentPlanStatus,
    Promise,
    PromiseStatus,
    QueueState,
)
from .services.queue import small_balance_limit


@dataclass(frozen=True)
class QueueFilters:
    owner: str = "mine"  # "mine", "all" (team view), or a collector's id
    bucket: str = ""
    currency: str = ""
    status: str = ""

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v and not (k == "owner" and v == "mine")}


def queue_for(user, filters: QueueFilters) -> QuerySet[QueueState]:
    """The ranked queue, from the stored score only (docs/priority-score.md)."""
    rows = scope_to_portfolio(
        QueueState.objects.select_related("customer", "customer__assigned_collector"),
        user,
        customer_path="customer",
    ).filter(in_queue=True)
    if filters.owner == "mine" or not sees_all_portfolios(user):
        rows = rows.filter(customer__assigned_collector=user)
    elif filters.owner != "all":
        rows = rows.filter(customer__assigned_collector_id=int(filters.owner))
    if filters.bucket:
        rows = rows.filter(oldest_bucket=filters.bucket)
    if filters.currency:
        rows = rows.filter(customer__currency_id=filters.currency)
    if filters.status:
        rows = rows.filter(customer__credit_status=filters.status)
    return rows.order_by("-score", "customer_id")


def queue_next(user, filters: QueueFilters, *, score: Decimal, customer_id: int):
    """The account after (score, id) in the queue as it was ranked when it was opened."""
    return (
        queue_for(user, filters)
        .filter(Q(score__lt=score) | Q(score=score, customer_id__gt=customer_id))
        .exclude(customer_id=customer_id)
        .first()
    )


def start_of_today() -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))


def calls_today(user) -> int:
    return Activity.objects.filter(
        actor=user, kind=ActivityKind.CALL, occurred_at__gte=start_of_today()
    ).count()


def daily_call_target() -> int:
    return int(getattr(settings, "COLLECTOR_DAILY_CALL_TARGET", 40))


def write_off_candidate(state: QueueState | None) -> bool:
    """Open less disputed below the small-balance limit, every amount counted: the queue
    puts the account last (services/queue.py) and says it may be written off."""
    if state is None or state.missing_rates:
        return False
    collectable = state.open_amount - state.disputed_amount
    return 0 < collectable < small_balance_limit()


def reason_lines(state: QueueState | None, *, today: datetime.date | None = None) -> list[str]:
    """Why an account sits where it does, in the collector's words (no queries)."""
    if state is None:
        return []
    today = today or timezone.localdate()
    code = state.currency_id

    def amount(value: Decimal | None) -> str:
        # None: the amount is in a currency with no rate in force (see missing_rates)
        return "(no rate)" if value is None else f"{value:,.0f} {code}"

    lines = []
    if state.missing_rates:
        lines.append(f"no rate for {', '.join(state.missing_rates)}: not counted")
    if write_off_candidate(state):
        small = state.open_amount - state.disputed_amount
        lines.append(f"small balance ({format_amount(small, code)} open): write-off candidate")
    if state.overdue_amount or state.oldest_days_past_due > 0:
        # the same bucket label as the badge beside it (accounts/buckets.py)
        label = BUCKET_LABELS.get(state.oldest_bucket, state.oldest_bucket)
        # nothing counted when every overdue item is in a currency with no rate
        counted = f"{amount(state.overdue_amount)} " if state.overdue_amount else ""
        lines.append(
            f"{counted}collectable overdue, oldest {state.oldest_days_past_due} days ({label})"
        )
        if 0 < state.over_60_amount < state.overdue_amount:
            lines.append(f"{amount(state.over_60_amount)} of it over 60 days")
    if state.broken_promise_date:
        ago = (today - state.broken_promise_date).days
        lines.append(
            f"promise of {amount(state.broken_promise_amount)} broken "
            f"(due {ago} day{'s' if ago != 1 else ''} ago)"
        )
    if state.broken_plan_date:
        lines.append(f"payment plan broken {state.broken_plan_date:%b %d}")
    if state.promise_due_today_amount:
        lines.append(f"promise of {amount(state.promise_due_today_amount)} due today")
    if state.follow_up_due_date:
        if state.follow_up_due_date == today:
            lines.append("follow-up due today")
        else:
            lines.append(f"follow-up overdue since {state.follow_up_due_date:%b %d}")
    if state.next_promise_date and not state.broken_promise_date:
        lines.append(f"waiting on promise due {state.next_promise_date:%b %d}")
    if state.plan_next_date and not state.broken_plan_date:
        lines.append(
            f"on a payment plan, next instalment {amount(state.plan_next_amount)} "
            f"due {state.plan_next_date:%b %d}"
        )
    if state.disputed_amount:
        lines.append(f"{amount(state.disputed_amount)} in dispute (not counted)")
    if state.credit_use_pct is not None and state.credit_use_pct >= 80:
        lines.append(f"credit limit {state.credit_use_pct}% used")
    # the risk class lifts the score only when something is overdue; say so only then
    if state.risk_class in ("high", "medium") and (
        state.overdue_amount or state.oldest_days_past_due > 0
    ):
        lines.append(f"{state.risk_class} credit risk")
    if state.overdue_amount:
        if state.last_contact_at is None:
            lines.append("never contacted")
        else:
            days = (today - timezone.localtime(state.last_contact_at).date()).days
            if days >= 7:
                lines.append(f"no contact for {days} days")
    if state.do_not_contact:
        lines.append("do not contact")
    return lines


# --- the workspace ---------------------------------------------------------------------


def workspace_customer(user, pk: int) -> Customer:
    """The account in the user's reach, with its stored queue row read in the same query."""
    customer = get_object_or_404(customers_for(user).select_related("queue_state"), pk=pk)
    # a reverse one-to-one with no row raises RelatedObjectDoesNotExist, an AttributeError
    customer.queue = getattr(customer, "queue_state", None)
    return customer


def open_items(customer: Customer) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(customer=customer, open_amount__gt=0)
        .annotate(
            promised=Exists(
                Promise.objects.filter(invoices=OuterRef("pk"), status=PromiseStatus.OPEN)
            ),
            disputed=Exists(
                Dispute.objects.filter(invoices=OuterRef("pk"), status__in=ACTIVE_STATUSES)
            ),
        )
        .order_by("due_date", "id")
    )


def open_item_count(customer: Customer) -> int:
    return Invoice.objects.filter(customer=customer, open_amount__gt=0).count()


def collectable_overdue(customer: Customer, *, today: datetime.date) -> dict[str, Decimal]:
    """Per currency, what is overdue and not in dispute: the figure the queue's score and
    its "why" line count, beside the plain overdue total that includes disputed items. Only
    the open disputed lines are set aside, each invoice's capped at its open amount (an
    invoice of 1,000 with 200 in dispute counts 800), as in the queue (docs/disputes.md)."""
    rows = (
        Invoice.objects.filter(customer=customer, open_amount__gt=0, due_date__lt=today)
        .annotate(in_dispute=open_disputed_amount())
        .annotate(collectable=F("open_amount") - Least(F("in_dispute"), F("open_amount")))
        .order_by()
        .values("currency_id")
        .annotate(total=Sum("collectable"))
        .values_list("currency_id", "total")
    )
    return {currency: total for currency, total in rows if total > 0}


def timeline(customer: Customer) -> QuerySet:
    """Activities and payments received, newest first, as one paginatable union; an
    activity with a PDF (a dunning letter, a statement) carries its id to link it."""
    columns = [
        "at",
        "kind",
        "summary",
        "note",
        "who",
        "outcome",
        "document_id",
        "money",
        "money_currency",
    ]
    activities = (
        Activity.objects.filter(customer=customer)
        .annotate(
            at=F("occurred_at"),
            who=Coalesce("actor__username", Value("")),
            document_id=Case(
                When(document="", then=Value(None)), default=F("pk"), output_field=IntegerField()
            ),
            # a payment's amount is shown like every other amount: the money filter
            money=Value(None, output_field=DecimalField(max_digits=18, decimal_places=2)),
            money_currency=Value("", output_field=CharField()),
        )
        .values_list(*columns)
    )
    payments = (
        Payment.objects.filter(customer=customer)
        .annotate(
            at=Cast("received_date", DateTimeField()),
            kind=Value(ActivityKind.PAYMENT.value, output_field=CharField()),
            summary=Concat(
                Value("Payment "), "reference", Value(" received"), output_field=CharField()
            ),
            note=Value("", output_field=CharField()),
            who=Value("", output_field=CharField()),
            outcome=Value("", output_field=CharField()),
            document_id=Value(None, output_field=IntegerField()),
            money=F("amount"),
            money_currency=F("currency_id"),
        )
        .values_list(*columns)
    )
    return activities.union(payments, all=True).order_by("-at")


def workspace_side(customer: Customer) -> dict:
    """Open promises, payment plans (and their instalments), follow-ups, disputes and
    escalations of one account: seven queries."""
    return {
        "promises": list(
            Promise.objects.filter(customer=customer, status=PromiseStatus.OPEN).order_by(
                "promised_date", "id"
            )[:20]
        ),
        "payment_plans": list(
            PaymentPlan.objects.filter(customer=customer, status=PaymentPlanStatus.OPEN)
            .prefetch_related("installments")
            .order_by("created_at", "id")[:5]
        ),
        "follow_ups": list(
            FollowUp.objects.filter(customer=customer, status=FollowUpStatus.OPEN)
            .select_related("assigned_to")
            .order_by("due_date", "id")[:20]
        ),
        "disputed_totals": list(
            Dispute.objects.filter(customer=customer, status__in=ACTIVE_STATUSES)
            .values("currency_id")
            .annotate(total=Sum("amount"))
            .order_by("currency_id")
        ),
        "disputes": list(
            Dispute.objects.filter(customer=customer, status__in=ACTIVE_STATUSES)
            .order_by("-opened_at")
            .values("id", "amount", "currency_id", "reason__label", "opened_at")[:20]
        ),
        "escalations": list(
            Escalation.objects.filter(customer=customer, status=EscalationStatus.OPEN)
            .select_related("assigned_to")
            .order_by("-raised_at", "-id")[:5]
        ),
    }


def people_for_follow_ups() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.COLLECTOR, roles.CREDIT_MANAGER])
        .distinct()
        .order_by("username")
    )


def collectors() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.COLLECTOR)
        .order_by("username")
    )


# --- the team and the reports -------------------------------------------------------------


def month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


def promise_kept_rate(
    *, since: datetime.date, until: datetime.date, collector_ids: list[int] | None = None
) -> dict[int, dict]:
    """Per collector (the promise's author): promises made in the period, and of those due
    in it and already judged, how many were kept, partially kept or broken."""
    made = Promise.objects.filter(created_at__date__range=(since, until))
    due = Promise.objects.filter(
        promised_date__range=(since, until),
        status__in=[PromiseStatus.KEPT, PromiseStatus.PARTIALLY_KEPT, PromiseStatus.BROKEN],
    )
    if collector_ids is not None:
        made = made.filter(created_by_id__in=collector_ids)
        due = due.filter(created_by_id__in=collector_ids)
    out: dict[int, dict] = {}
    for row in made.values("created_by_id").annotate(n=Count("id")).order_by():
        out.setdefault(row["created_by_id"], _empty_rate())["made"] = row["n"]
    for row in due.values("created_by_id", "status").annotate(n=Count("id")).order_by():
        out.setdefault(row["created_by_id"], _empty_rate())[row["status"]] = row["n"]
    for figures in out.values():
        judged = figures["kept"] + figures["partially_kept"] + figures["broken"]
        figures["rate"] = (
            (Decimal(figures["kept"]) / judged * 100).quantize(Decimal("1")) if judged else None
        )
    return out


def _empty_rate() -> dict:
    return {"made": 0, "kept": 0, "partially_kept": 0, "broken": 0, "rate": None}


def team_rows(user) -> list[dict]:
    """One row per collector: queue size, overdue in portfolio, calls today, promises."""
    if not sees_all_portfolios(user):
        return []
    today = timezone.localdate()
    states = QueueState.objects.filter(customer__assigned_collector=OuterRef("pk")).order_by()
    people = collectors().annotate(
        queue_size=Coalesce(
            Subquery(
                states.filter(in_queue=True)
                .values("customer__assigned_collector")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        accounts=Coalesce(
            Subquery(
                Customer.objects.filter(assigned_collector=OuterRef("pk"))
                .order_by()
                .values("assigned_collector")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        overdue=Coalesce(
            Subquery(
                states.values("customer__assigned_collector")
                .annotate(total=Sum("overdue_amount"))
                .values("total"),
                output_field=DecimalField(max_digits=18, decimal_places=2),
            ),
            Decimal("0.00"),
        ),
        calls=Coalesce(
            Subquery(
                Activity.objects.filter(
                    actor=OuterRef("pk"), kind=ActivityKind.CALL, occurred_at__gte=start_of_today()
                )
                .order_by()
                .values("actor")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )
    people = list(people)
    rates = promise_kept_rate(
        since=month_start(today), until=today, collector_ids=[p.pk for p in people]
    )
    target = daily_call_target()
    return [
        {"user": p, "target": target, "promises": rates.get(p.pk, _empty_rate())} for p in people
    ]


def reassignable_accounts(user, *, collector_id: int | None) -> QuerySet:
    rows = scope_to_portfolio(
        Customer.objects.select_related("assigned_collector", "queue_state"),
        user,
        customer_path="",
    )
    if collector_id:
        rows = rows.filter(assigned_collector_id=collector_id)
    else:
        rows = rows.filter(assigned_collector__isnull=True)
    return rows.order_by(F("queue_state__score").desc(nulls_last=True), "id")


def activity_with_document_for(user, pk: int) -> Activity:
    """An activity whose PDF ``user`` may open: a collector only in their own portfolio."""
    rows = scope_to_portfolio(
        Activity.objects.select_related("customer").exclude(document=""),
        user,
        customer_path="customer",
    )
    return get_object_or_404(rows, pk=pk)


# --- e-mails on their way (the workspace queues them; a task sends them) -----------------

EMAIL_IN_FLIGHT_FOR = datetime.timedelta(days=1)


@dataclass(frozen=True)
class EmailDelivery:
    id: int
    summary: str
    state: str  # "queued", "sent" or "failed"
    error: str = ""

    @property
    def what(self) -> str:
        return self.summary.removesuffix(" queued")


def _email_audits(ids, actions):
    return AuditEntry.objects.filter(
        object_type=Activity._meta.label_lower,
        object_id__in=[str(pk) for pk in ids],
        action__in=actions,
    )


def email_deliveries(customer: Customer, *, ids: list[int] | None = None) -> list[EmailDelivery]:
    """The account's e-mails queued in the last day and not yet sent or failed, or, given
    ``ids``, those e-mails whatever became of them (two queries)."""
    from .services.emails import EMAIL_FAILED, EMAIL_QUEUED, EMAIL_SENT

    queued = Activity.objects.filter(customer=customer, kind=ActivityKind.SYSTEM)
    if ids is None:
        queued = queued.filter(occurred_at__gte=timezone.now() - EMAIL_IN_FLIGHT_FOR)
    else:
        queued = queued.filter(pk__in=ids)
    queued = queued.filter(
        Exists(
            AuditEntry.objects.filter(
                object_type=Activity._meta.label_lower,
                object_id=Cast(OuterRef("pk"), CharField()),
                action=EMAIL_QUEUED,
            )
        )
    ).order_by("occurred_at", "pk")
    rows = list(queued.values_list("pk", "summary"))
    outcomes = {
        int(entry.object_id): entry
        for entry in _email_audits([pk for pk, _ in rows], [EMAIL_SENT, EMAIL_FAILED])
    }
    out = []
    for pk, summary in rows:
        entry = outcomes.get(pk)
        if entry is None:
            out.append(EmailDelivery(pk, summary, "queued"))
        elif ids is not None:
            state = "sent" if entry.action == EMAIL_SENT else "failed"
            out.append(EmailDelivery(pk, summary, state, (entry.after or {}).get("error", "")))
    return out


# --- my day: what the collector promised to do, and what customers promised today ------

MY_DAY_BROKEN_FOR = datetime.timedelta(days=30)


@dataclass(frozen=True)
class MyDay:
    follow_ups: list
    promises_due: list
    broken_promises: list

    @property
    def count(self) -> int:
        return len(self.follow_ups) + len(self.promises_due) + len(self.broken_promises)


def _my_follow_ups(user, today: datetime.date) -> QuerySet[FollowUp]:
    return scope_to_portfolio(
        FollowUp.objects.filter(assigned_to=user, status=FollowUpStatus.OPEN, due_date__lte=today),
        user,
        customer_path="customer",
    )


def _my_promises_due(today: datetime.date) -> Q:
    return Q(status=PromiseStatus.OPEN, promised_date=today)


def _my_promises_broken(today: datetime.date) -> Q:
    return Q(status=PromiseStatus.BROKEN, promised_date__gte=today - MY_DAY_BROKEN_FOR)


def my_day(user, *, today: datetime.date) -> MyDay:
    """The user's follow-ups due by today, and, on the accounts they collect, the promises
    due today and those broken in the last 30 days (three queries)."""
    follow_ups = _my_follow_ups(user, today).select_related("customer", "promise")
    mine = Promise.objects.filter(customer__assigned_collector=user).select_related(
        "customer", "contact"
    )
    return MyDay(
        follow_ups=list(follow_ups.order_by("due_date", "id")),
        promises_due=list(mine.filter(_my_promises_due(today)).order_by("customer__name")),
        broken_promises=list(
            mine.filter(_my_promises_broken(today)).order_by("-promised_date", "id")
        ),
    )


def my_day_count(user, *, today: datetime.date) -> int:
    """How many lines ``my_day`` has, for the queue's link (two queries)."""
    follow_ups = _my_follow_ups(user, today).count()
    promises = Promise.objects.filter(customer__assigned_collector=user).aggregate(
        due=Count("pk", filter=_my_promises_due(today)),
        broken=Count("pk", filter=_my_promises_broken(today)),
    )
    return follow_ups + promises["due"] + promises["broken"]
