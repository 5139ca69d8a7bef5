"""Build a run's preview: who gets which level, on which channel, for which invoices, and who
is skipped and why. A few set-based reads, then the pure rules of ``levels.py``, then bulk
inserts — a run over 50,000 customers is one pass, not a query per customer."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.fx import RateBook, ReportError
from accounts.models import Contact, Currency, Customer
from collections_app.models import (
    CONTACT_KINDS,
    Activity,
    Escalation,
    EscalationStatus,
    PaymentPlan,
    PaymentPlanStatus,
    Promise,
    PromiseStatus,
)
from disputes.selectors import open_disputed_amount
from invoices.models import Invoice

from .levels import CustomerFacts, Decision, InvoiceFacts, LevelRule, decide, late_interest
from .models import (
    COMMUNICATION_PENDING,
    DunningChannel,
    DunningCommunication,
    DunningLevel,
    DunningLine,
    DunningPolicy,
    DunningRun,
    DunningSkip,
    SkipReason,
)

# Directive 2011/7/EU: the statutory rate is the reference rate plus eight percentage points,
# and the creditor may claim a fixed sum for its recovery costs per invoice paid late
# (settings.DUNNING_COMPENSATION_AMOUNT in DUNNING_COMPENSATION_CURRENCY: 40 EUR).
INTEREST_MARGIN = Decimal(8)


def compensation_setting() -> tuple[Decimal, str]:
    """The one definition of the fixed compensation: (amount, currency)."""
    return (
        Decimal(str(settings.DUNNING_COMPENSATION_AMOUNT)),
        settings.DUNNING_COMPENSATION_CURRENCY,
    )


@dataclass(frozen=True)
class PolicyRule:
    catch_up: bool = False
    interest_percent: Decimal | None = None  # reference rate + 8 points; None: off
    compensation: bool = False


def policy_rules() -> dict[int, PolicyRule]:
    fallback = Decimal(str(settings.DUNNING_INTEREST_REFERENCE_RATE))
    out = {}
    for policy in DunningPolicy.objects.all():
        reference = policy.interest_reference_rate
        out[policy.pk] = PolicyRule(
            catch_up=policy.catch_up,
            interest_percent=(
                (fallback if reference is None else reference) + INTEREST_MARGIN
                if policy.interest_enabled
                else None
            ),
            compensation=policy.compensation_enabled,
        )
    return out


def policy_levels() -> tuple[int | None, dict[int, list[LevelRule]]]:
    """(default policy id, levels of every policy)."""
    default = DunningPolicy.objects.filter(is_default=True).values_list("pk", flat=True).first()
    levels: dict[int, list[LevelRule]] = defaultdict(list)
    for lv in DunningLevel.objects.order_by("policy_id", "number"):
        levels[lv.policy_id].append(
            LevelRule(
                id=lv.pk,
                number=lv.number,
                name=lv.name,
                days_past_due=lv.days_past_due,
                channel=lv.channel,
                template_code=lv.template_code,
                minimum_overdue_amount=lv.minimum_overdue_amount,
                minimum_days_since_previous=lv.minimum_days_since_previous,
                escalation_action=lv.escalation_action,
                minimum_invoice_amount=lv.minimum_invoice_amount,
            )
        )
    return default, levels


def overdue_invoices(as_of: datetime.date, customer_ids=None) -> dict[int, list[InvoiceFacts]]:
    rows = Invoice.objects.filter(open_amount__gt=0, due_date__lt=as_of, issue_date__lte=as_of)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    # only the open disputed amount is set aside (capped at the open amount): an invoice
    # of 1,000 with 200 in dispute is dunned for 800; one disputed in full is skipped
    rows = rows.annotate(
        level_number=Coalesce(F("dunning__level_number"), Value(0)),
        disputed_amount=open_disputed_amount(),
    ).values_list(
        "customer_id",
        "pk",
        "number",
        "currency_id",
        "open_amount",
        "due_date",
        "level_number",
        "dunning__last_dunned_on",
        "disputed_amount",
        "dunning__stop_until",
        "dunning__stop_reason",
    )
    out: dict[int, list[InvoiceFacts]] = defaultdict(list)
    for cid, pk, number, cur, amount, due, level, last, disputed, stop, why in rows.order_by(
        "customer_id", "due_date", "pk"
    ):
        collectable = amount - min(disputed, amount)
        out[cid].append(
            InvoiceFacts(
                pk,
                number,
                cur,
                collectable if collectable > 0 else amount,
                due,
                level,
                last,
                collectable <= 0,
                stop,
                why or "",
            )
        )
    return out


def customer_facts(
    run: DunningRun, customer_ids
) -> dict[int, tuple[CustomerFacts, int | None, str]]:
    """Per customer: the facts the rules need, its policy id (None = default), its language."""
    email_contacts = Contact.objects.filter(customer=OuterRef("pk")).exclude(email="")
    email_contacts = email_contacts.order_by("-is_primary", "pk")
    as_of = run.as_of
    grace = datetime.timedelta(days=settings.PROMISE_GRACE_DAYS)
    kept_window = datetime.timedelta(days=settings.DUNNING_QUIET_DAYS_AFTER_KEPT_PROMISE)
    # A promise holds dunning until its deadline (promised date + grace) has passed, and a
    # kept one for a while after its promised date: the customer did what was agreed.
    holding_promises = Promise.objects.filter(customer=OuterRef("pk"), created_at__date__lte=as_of)
    holding_promises = holding_promises.filter(
        Q(status=PromiseStatus.OPEN, promised_date__gte=as_of - grace)
        | Q(
            status=PromiseStatus.KEPT,
            promised_date__gte=as_of - kept_window,
            promised_date__lte=as_of,
        )
    ).order_by("-promised_date", "-pk")
    quiet_from = as_of - datetime.timedelta(days=settings.DUNNING_QUIET_DAYS_AFTER_CONTACT)
    personal_contact = Activity.objects.filter(
        customer=OuterRef("pk"),
        kind__in=CONTACT_KINDS,
        actor__isnull=False,
        occurred_at__date__gte=quiet_from,
        occurred_at__date__lte=as_of,
    )
    rows = (
        Customer.objects.filter(pk__in=customer_ids)
        .annotate(
            promise_status=Subquery(holding_promises.values("status")[:1]),
            promise_date=Subquery(holding_promises.values("promised_date")[:1]),
            last_contact_at=Subquery(
                personal_contact.values("customer")
                .annotate(last=Max("occurred_at"))
                .values("last")[:1]
            ),
            open_escalation=Exists(
                Escalation.objects.filter(customer=OuterRef("pk"), status=EscalationStatus.OPEN)
            ),
            open_plan=Exists(
                PaymentPlan.objects.filter(customer=OuterRef("pk"), status=PaymentPlanStatus.OPEN)
            ),
            in_other_run=Exists(
                DunningCommunication.objects.filter(
                    customer=OuterRef("pk"), status__in=COMMUNICATION_PENDING
                ).exclude(run=run)
            ),
            contact_id=Subquery(email_contacts.values("pk")[:1]),
            contact_email=Subquery(email_contacts.values("email")[:1]),
        )
        .values_list(
            "pk",
            "do_not_contact",
            "dunning__stop_until",
            "dunning__stop_reason",
            "promise_status",
            "promise_date",
            "open_plan",
            "in_other_run",
            "contact_email",
            "contact_id",
            "billing_address",
            "dunning__policy_id",
            "dunning__language",
            "last_contact_at",
            "open_escalation",
        )
    )
    out = {}
    for row in rows:
        (pk, dnc, stop, why, promise, promised, plan, other, email, contact, address) = row[:11]
        policy, lang, contacted, escalated = row[11:]
        promise_detail = ""
        if promise == PromiseStatus.OPEN:
            promise_detail = f"promised to pay by {promised:%Y-%m-%d}"
        elif promise == PromiseStatus.KEPT:
            promise_detail = f"kept the promise to pay by {promised:%Y-%m-%d}"
        facts = CustomerFacts(
            pk,
            dnc,
            stop,
            why or "",
            bool(promise),
            plan,
            other,
            email or "",
            contact,
            address,
            promise_detail=promise_detail,
            last_contact_on=timezone.localdate(contacted) if contacted else None,
            open_escalation=escalated,
        )
        out[pk] = (facts, policy, lang or "en")
    return out


def build_preview(run: DunningRun, customer_ids=None) -> dict[str, int]:
    """Write the run's planned communications, their lines and its skips."""
    default_policy, levels = policy_levels()
    policies = policy_rules()
    invoices = overdue_invoices(run.as_of, customer_ids)
    facts = customer_facts(run, list(invoices))
    book = RateBook.load(until=run.as_of)

    def to_reporting(currency: str, amount: Decimal) -> Decimal | None:
        try:
            return book.convert(amount, currency, run.as_of)
        except ReportError:
            return None

    decisions: list[tuple[int, CustomerFacts, str, Decision, PolicyRule]] = []
    for customer_id, items in invoices.items():
        customer, policy_id, language = facts[customer_id]
        rules = levels.get(policy_id or default_policy, [])
        if not rules:
            continue
        policy = policies.get(policy_id or default_policy, PolicyRule())
        decision = decide(
            customer=customer,
            invoices=items,
            levels=rules,
            as_of=run.as_of,
            to_policy_currency=to_reporting,
            catch_up=policy.catch_up,
        )
        decisions.append((customer_id, customer, language, decision, policy))
    return _write(run, decisions, book)


@dataclass(frozen=True)
class Compensation:
    """The fixed compensation in each letter's currency, converted through accounts/fx.py at
    the rate in force on the run's day; a currency without a rate gets none and a skip row
    saying so (never 1:1)."""

    book: RateBook
    as_of: datetime.date
    places: dict[str, int]

    def of(self, currency: str) -> Decimal:
        amount, own = compensation_setting()
        return self.book.convert_between(
            amount, own, currency, self.as_of, places=self.places.get(currency, 2)
        )


def _charges(line, policy: PolicyRule, compensation: Compensation) -> dict:
    """Interest and compensation shown on the letter for one line, each in the line's
    currency; never posted. Raises ReportError when the compensation has no rate."""
    if line.informational:
        return {}
    places = compensation.places
    out = {}
    if policy.interest_percent is not None:
        out["interest_rate"] = policy.interest_percent
        out["interest_amount"] = late_interest(
            line.invoice.open_amount,
            policy.interest_percent,
            line.days_past_due,
            places.get(line.invoice.currency, 2),
        )
    if policy.compensation:
        out["compensation_amount"] = compensation.of(line.invoice.currency)
    return out


def _line_charges(line, policy: PolicyRule, compensation: Compensation) -> tuple[dict, str]:
    """The line's charges, and why its compensation is left off ("" when it is not)."""
    try:
        return _charges(line, policy, compensation), ""
    except ReportError as missing:
        amount, own = compensation_setting()
        without = _charges(line, replace(policy, compensation=False), compensation)
        return without, f"{amount} {own} compensation left off the letter: {missing}"


def _write(run: DunningRun, decisions, book: RateBook) -> dict[str, int]:
    communications = []
    for customer_id, customer, language, decision, _policy in decisions:
        if decision.sends:
            by_email = decision.level.channel == DunningChannel.EMAIL
            communications.append(
                DunningCommunication(
                    run=run,
                    customer_id=customer_id,
                    level_id=decision.level.id,
                    key=f"{customer_id}:{decision.level.id}:{run.pk}",
                    channel=decision.level.channel,
                    contact_id=customer.contact_id if by_email else None,
                    to_address=customer.email if by_email else "",
                    language=language,
                )
            )
    DunningCommunication.objects.bulk_create(communications, batch_size=2000)
    by_customer = {c.customer_id: c for c in communications}
    places = dict(Currency.objects.values_list("code", "decimal_places"))
    compensation = Compensation(book, run.as_of, places)
    lines, skips = [], []
    for customer_id, _customer, _language, decision, policy in decisions:
        comm = by_customer.get(customer_id)
        for line in decision.lines if comm else []:
            charges, left_off = _line_charges(line, policy, compensation)
            if left_off:
                skips.append(
                    DunningSkip(
                        run=run,
                        customer_id=customer_id,
                        invoice_id=line.invoice.id,
                        reason=SkipReason.NO_RATE,
                        detail=left_off[:300],
                    )
                )
            lines.append(
                DunningLine(
                    communication=comm,
                    invoice_id=line.invoice.id,
                    currency_id=line.invoice.currency,
                    open_amount=line.invoice.open_amount,
                    days_past_due=line.days_past_due,
                    level_number=line.level_number,
                    previous_level_number=line.previous_level_number,
                    informational=line.informational,
                    **charges,
                )
            )
        for skip in decision.skips:
            skips.append(
                DunningSkip(
                    run=run,
                    customer_id=customer_id,
                    invoice_id=skip.invoice_id,
                    reason=skip.reason,
                    detail=skip.detail[:300],
                )
            )
    DunningLine.objects.bulk_create(lines, batch_size=5000)
    DunningSkip.objects.bulk_create(skips, batch_size=5000)
    return {"communications": len(communications), "lines": len(lines), "skips": len(skips)}
