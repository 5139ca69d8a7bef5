"""The demo ledger behind ``manage.py seed_demo``, written through the services.

Every customer, contact, invoice, payment, application, credit memo and write-off goes
through ``accounts.services`` and ``invoices.services``, exactly as a person or an import
would write it, so the demo also exercises the ledger's invariants and audit trail. Only
the logins (auth models) and the monthly exchange rates (reference data with no service
of its own) are written directly.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts import services as accounts_services
from accounts.fx import RateBook, ReportError
from accounts.models import Contact, Currency, Customer, ExchangeRate
from dunning import services as dunning
from dunning.models import (
    DunningCommunication,
    DunningLevel,
    DunningProfile,
    DunningRun,
    DunningRunStatus,
)
from invoices import services as ledger
from invoices.models import Adjustment, AdjustmentKind, Application, CreditMemo, Invoice, Payment
from invoices.selectors import ledger_discrepancies

from .derived import cash_applied_hooks_batched
from .logins import COLLECTOR_USERNAMES, demo_users_ensure
from .names import CA_PLACES, EU_PLACES, GB_PLACES, GERMAN_FORMS, STREETS, US_PLACES
from .orders import demo_orders_write
from .shape import (
    CustomerPlan,
    InvoicePlan,
    LedgerPlanner,
    PaymentPlan,
    cents_to_decimal,
    plan_customers,
    plan_exchange_rates,
)

DEMO_SEED = 1729
# The demo's previous dunning system stopped this long before the demo's today.
DUNNING_HISTORY_ENDS = datetime.timedelta(days=12)
DEMO_CUSTOMERS = 200
DEMO_INVOICES = 5000
CUSTOMER_REF = "C-{:05d}"
FIRST_CUSTOMER = 10001
INVOICE_NUMBER = "INV-{:06d}"
FIRST_INVOICE = 100001
PAYMENT_REF = "PMT-{:06d}"
FIRST_PAYMENT = 300001
CREDIT_MEMO_NUMBER = "CM-{:05d}"
FIRST_CREDIT_MEMO = 40001
UNASSIGNED_SHARE = 0.1  # accounts no collector owns yet
MISSING_ADDRESS_SHARE = 0.05  # accounts with no billing address on file
OLDEST_FIRST_SHARE = 0.3  # of the payments where oldest-first gives what the customer meant

APPLIED_CREDIT_MEMOS = 12
UNAPPLIED_CREDIT_MEMOS = 3
SMALL_BALANCE_WRITE_OFFS = 3
CREDIT_REASONS = [
    "Pricing error on invoice",
    "Damaged goods returned",
    "Short shipment",
    "Freight overcharge",
    "Quantity discount not applied",
]


class DemoLedgerError(Exception):
    """The seeded ledger does not reconcile; nothing was kept."""


@dataclass
class SeedResult:
    already_seeded: bool
    users_created: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_customer_plans() -> list[CustomerPlan]:
    return plan_customers(
        seed=DEMO_SEED,
        count=DEMO_CUSTOMERS,
        ref_format=CUSTOMER_REF,
        first_number=FIRST_CUSTOMER,
        collectors=len(COLLECTOR_USERNAMES),
        unassigned_share=UNASSIGNED_SHARE,
    )


def demo_customers():
    refs = [plan.external_ref for plan in demo_customer_plans()]
    return Customer.objects.filter(external_ref__in=refs)


def exchange_rates_ensure(*, seed: int, today: datetime.date) -> int:
    """Monthly rates to the reporting currency over the history; returns how many were new."""
    created = 0
    for code, quote, valid_from, rate in plan_exchange_rates(seed=seed, today=today):
        _, is_new = ExchangeRate.objects.get_or_create(
            currency_id=code,
            quote_currency_id=quote,
            valid_from=valid_from,
            defaults={"rate": rate},
        )
        created += is_new
    return created


def seed_demo(*, today: datetime.date | None = None) -> SeedResult:
    """Write the demo ledger once; a second run finds it and writes nothing."""
    started = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic():
        users, users_created = demo_users_ensure()
        if demo_customers().exists():
            dunning_preview_refresh(actor=users["credit_manager"], today=today)
            return SeedResult(already_seeded=True, users_created=users_created)
        with cash_applied_hooks_batched() as touched:
            ledger = _DemoLedger(users=users, today=today)
            ledger.write()
            # Every demo account gets its queue score, not only those whose cash moved.
            touched.update(customer.pk for customer in ledger.customers)
        problems = ledger_discrepancies()
        if problems:
            raise DemoLedgerError(f"the demo ledger does not reconcile: {problems[:5]}")
        ledger.prepare_dunning()
        demo_orders_write(
            users=users, collectors=ledger.collectors, customers=ledger.customers, today=today
        )
    return SeedResult(
        already_seeded=False,
        users_created=users_created,
        counts=demo_counts(),
        seconds=time.monotonic() - started,
    )


def _reaches(book: RateBook, amount, currency: str, day: datetime.date, level) -> bool:
    try:
        return book.convert(amount, currency, day) >= level.minimum_invoice_amount
    except ReportError:
        return False


def dunning_preview_refresh(*, actor, today: datetime.date) -> DunningRun | None:
    """A demo seeded on an earlier day left that day's preview, with that day's figures:
    build today's (which cancels the stale one) so nobody approves yesterday's letters."""
    as_of = min(today, timezone.localdate())
    if not DunningRun.objects.filter(status=DunningRunStatus.PREVIEW, as_of__lt=as_of).exists():
        return None
    return dunning.dunning_run_start(actor=actor, as_of=as_of)


class _DemoLedger:
    def __init__(self, *, users: dict, today: datetime.date):
        self.today = today
        self.users = users
        self.admin = users["admin"]
        self.finance = users["finance"]
        self.credit_manager = users["credit_manager"]
        self.collectors = [users[name] for name in COLLECTOR_USERNAMES]
        self.rng = random.Random(f"{DEMO_SEED}:demo")
        # its own stream, so the addresses leave the ledger's draws as they were
        self.address_rng = random.Random(f"{DEMO_SEED}:addresses")
        self.plans = demo_customer_plans()
        self.customers: list[Customer] = []
        self.invoices: dict[int, Invoice] = {}  # by id
        self.invoice_plans: list[InvoicePlan] = []
        self.open: dict[int, int] = {}  # cents still open, by invoice id
        self.open_by_customer: dict[int, list[InvoicePlan]] = {}
        self.last_paid: dict[int, datetime.date] = {}
        self.payments: list[tuple[PaymentPlan, Payment]] = []

    def write(self) -> None:
        exchange_rates_ensure(seed=DEMO_SEED, today=self.today)
        self.write_customers()
        planner = LedgerPlanner(
            seed=DEMO_SEED,
            today=self.today,
            customers=self.plans,
            invoice_format=INVOICE_NUMBER,
            payment_format=PAYMENT_REF,
            first_invoice=FIRST_INVOICE,
            first_payment=FIRST_PAYMENT,
        )
        (chunk,) = planner.chunks(DEMO_INVOICES, DEMO_INVOICES)
        # Day by day, as it happened: a payment only ever meets invoices issued before it.
        invoices = iter(chunk.invoices)
        upcoming = next(invoices, None)
        for payment in chunk.payments:
            while upcoming is not None and upcoming.issue_date <= payment.received_date:
                self.write_invoice(upcoming)
                upcoming = next(invoices, None)
            self.post(payment)
        while upcoming is not None:
            self.write_invoice(upcoming)
            upcoming = next(invoices, None)
        self.issue_credit_memos()
        self.write_off_small_balances()
        self.bounce_one_cheque()

    def prepare_dunning(self) -> None:
        """German letters for German companies, one account on a dunning stop, the previous
        system's reminders, and tonight's run built and left in preview for the credit manager
        to look at and approve."""
        self.record_dunning_history()
        for plan, customer in zip(self.plans, self.customers, strict=True):
            if plan.name.rsplit(" ", 1)[-1] in GERMAN_FORMS:
                dunning.dunning_policy_assign(
                    actor=self.credit_manager, customer=customer, policy=None, language="de"
                )
        stopped = next(
            customer
            for index, (plan, customer) in enumerate(zip(self.plans, self.customers, strict=True))
            if plan.collector is not None
            and not plan.do_not_contact
            and any(
                # an invoice fallen due since the switch: due its first reminder tonight
                self.open[item.id] >= 10
                and self.today - DUNNING_HISTORY_ENDS <= item.due_date < self.today
                for item in self.open_by_customer.get(index, ())
            )
        )
        dunning.dunning_stop_customer(
            actor=self.credit_manager,
            customer=stopped,
            reason="Disputed delivery under legal review",
            until=self.today + datetime.timedelta(days=21),
        )
        dunning.dunning_run_start(
            actor=self.credit_manager, as_of=min(self.today, timezone.localdate())
        )

    def record_dunning_history(self) -> None:
        """Before Dunwell, a previous system ran its dunning weekly (on Mondays) and sent the
        standard levels one at a time, each in the first weekly run that allowed it, until
        the switch DUNNING_HISTORY_ENDS days ago. Tonight's run continues from there, and its
        letters quote those dates and no others (a customer's invoices share run dates, as
        they would have in one letter)."""
        levels = list(DunningLevel.objects.filter(policy__is_default=True).order_by("number"))
        switch = min(self.today, timezone.localdate()) - DUNNING_HISTORY_ENDS
        book = RateBook.load(until=switch)
        rows = Invoice.objects.filter(
            customer__in=[c for c in self.customers if not c.do_not_contact],
            open_amount__gt=0,
            due_date__lt=switch,
        ).values_list("pk", "due_date", "open_amount", "currency_id")
        steps = []
        for pk, due, amount, currency in rows.order_by("pk"):
            last = None
            for level in levels:
                sent_on = due + datetime.timedelta(days=level.days_past_due)
                if last is not None:
                    gap = datetime.timedelta(days=level.minimum_days_since_previous)
                    sent_on = max(sent_on, last + gap)
                sent_on += datetime.timedelta(days=-sent_on.weekday() % 7)  # the next Monday
                if sent_on > switch or not _reaches(book, amount, currency, sent_on, level):
                    break
                steps.append((pk, level.number, sent_on))
                last = sent_on
        dunning.invoice_dunning_history_import(actor=self.credit_manager, steps=steps)

    def write_customers(self) -> None:
        terms = {}
        for plan in self.plans:
            if plan.net_days not in terms:
                terms[plan.net_days] = accounts_services.payment_terms_for_days(plan.net_days)
            customer = accounts_services.customer_create(
                actor=self.admin,
                external_ref=plan.external_ref,
                name=plan.name,
                currency=plan.currency,
                payment_terms=terms[plan.net_days],
                credit_limit=str(plan.credit_limit),
                credit_status=plan.credit_status,
                do_not_contact=plan.do_not_contact,
                billing_address=billing_address(self.address_rng, plan),
                parent=None if plan.parent is None else self.customers[plan.parent],
                assigned_collector=(
                    None if plan.collector is None else self.collectors[plan.collector]
                ),
            )
            for contact in plan.contacts:
                accounts_services.contact_add(
                    actor=self.admin,
                    customer=customer,
                    name=contact.name,
                    email=contact.email,
                    phone=contact.phone,
                    role=contact.role,
                    is_primary=contact.is_primary,
                )
            self.customers.append(customer)

    def write_invoice(self, plan: InvoicePlan) -> None:
        invoice = ledger.invoice_create(
            actor=self.finance,
            customer=self.customers[plan.customer],
            number=plan.number,
            issue_date=plan.issue_date,
            due_date=plan.due_date,
            amount=cents_to_decimal(plan.amount),
            po_number=plan.po_number,
        )
        plan.id = invoice.pk
        self.invoices[invoice.pk] = invoice
        self.invoice_plans.append(plan)
        self.open[invoice.pk] = plan.amount
        self.open_by_customer.setdefault(plan.customer, []).append(plan)

    def oldest_first_matches(self, payment: PaymentPlan) -> bool:
        """Would applying oldest-first settle exactly the invoices this payment names?"""
        if payment.amount != payment.applied_amount:
            return False
        if any(invoice.customer != payment.customer for invoice, _ in payment.allocations):
            return False
        candidates = sorted(
            (
                plan
                for plan in self.open_by_customer.get(payment.customer, ())
                if self.open[plan.id] > 0
            ),
            key=lambda plan: (plan.due_date, plan.issue_date, plan.id),
        )
        remaining = payment.amount
        would = set()
        for plan in candidates:
            if remaining <= 0:
                break
            cents = min(remaining, self.open[plan.id])
            would.add((plan.id, cents))
            remaining -= cents
        return would == {(invoice.id, cents) for invoice, cents in payment.allocations}

    def post(self, plan: PaymentPlan) -> None:
        common = {
            "actor": self.finance,
            "customer": self.customers[plan.customer],
            "reference": plan.reference,
            "received_date": plan.received_date,
            "amount": cents_to_decimal(plan.amount),
            "method": plan.method,
        }
        if not plan.applied:
            payment = ledger.payment_post(**common)
        elif self.oldest_first_matches(plan) and self.rng.random() < OLDEST_FIRST_SHARE:
            payment = ledger.payment_post(**common)
            ledger.payment_apply_oldest_first(
                actor=self.finance, payment=payment, effective_date=plan.received_date
            )
        else:
            payment = ledger.payment_post(
                **common,
                allocations=[
                    ledger.Allocation(invoice_id=invoice.id, amount=cents_to_decimal(cents))
                    for invoice, cents in plan.allocations
                ],
            )
        if plan.applied:
            for invoice, cents in plan.allocations:
                self.open[invoice.id] -= cents
                self.last_paid[invoice.id] = plan.received_date
        plan.id = payment.pk
        self.payments.append((plan, payment))

    def issue_credit_memos(self) -> None:
        rng = self.rng
        untouched = [
            plan
            for plan in self.invoice_plans
            if self.open[plan.id] == plan.amount
            and (self.today - plan.issue_date).days >= 20
            and not self.plans[plan.customer].do_not_contact
        ]
        number = FIRST_CREDIT_MEMO
        for plan in sorted(rng.sample(untouched, APPLIED_CREDIT_MEMOS), key=lambda p: p.issue_date):
            cents = max(100, plan.amount * rng.randint(5, 15) // 100)
            issued = min(self.today, plan.issue_date + datetime.timedelta(days=rng.randint(5, 25)))
            ledger.credit_memo_issue(
                actor=self.credit_manager,
                customer=self.customers[plan.customer],
                number=CREDIT_MEMO_NUMBER.format(number),
                issue_date=issued,
                amount=cents_to_decimal(cents),
                reason=rng.choice(CREDIT_REASONS),
                allocations=[ledger.Allocation(invoice_id=plan.id, amount=cents_to_decimal(cents))],
            )
            self.open[plan.id] -= cents
            number += 1
        for index in sorted(rng.sample(range(len(self.customers)), UNAPPLIED_CREDIT_MEMOS)):
            ledger.credit_memo_issue(
                actor=self.credit_manager,
                customer=self.customers[index],
                number=CREDIT_MEMO_NUMBER.format(number),
                issue_date=self.today - datetime.timedelta(days=rng.randint(3, 40)),
                amount=cents_to_decimal(rng.randint(50, 500) * 100),
                reason="Volume rebate, not yet applied",
            )
            number += 1

    def write_off_small_balances(self) -> None:
        short_paid = [
            plan
            for plan in self.invoice_plans
            if 0 < self.open[plan.id] <= 2_500
            and plan.id in self.last_paid
            and (self.today - self.last_paid[plan.id]).days > 30
        ]
        for plan in self.rng.sample(short_paid, min(SMALL_BALANCE_WRITE_OFFS, len(short_paid))):
            ledger.invoice_adjust(
                actor=self.credit_manager,
                invoice=self.invoices[plan.id],
                kind=AdjustmentKind.SMALL_BALANCE,
                amount=cents_to_decimal(self.open[plan.id]),
                reason="Small balance left by a short payment",
                effective_date=self.last_paid[plan.id] + datetime.timedelta(days=30),
            )
            self.open[plan.id] = 0

    def bounce_one_cheque(self) -> None:
        """A cheque that came back unpaid: its application is reversed, the invoice reopens."""

        def candidates(methods):
            return [
                (plan, payment)
                for plan, payment in self.payments
                if plan.applied
                and plan.method in methods
                and len(plan.allocations) == 1
                and plan.amount == plan.applied_amount
                and 10 <= (self.today - plan.received_date).days <= 90
            ]

        found = candidates({"Check", "Cheque"}) or candidates(
            {plan.method for plan, _ in self.payments}
        )
        if not found:
            return
        plan, payment = self.rng.choice(found)
        (application,) = Application.objects.filter(payment=payment)
        ledger.application_reverse(
            actor=self.finance,
            application=application,
            note="Cheque returned unpaid (NSF)",
            effective_date=min(self.today, plan.received_date + datetime.timedelta(days=5)),
        )
        invoice, cents = plan.allocations[0]
        self.open[invoice.id] += cents


def billing_address(rng: random.Random, plan: CustomerPlan) -> str:
    """A postal address in the customer's country; about one in twenty has none on file,
    so a letter to it is skipped for want of an address, as happens."""
    if rng.random() < MISSING_ADDRESS_SHARE:
        return ""
    number, street = rng.randint(2, 480), rng.choice(STREETS)
    form = plan.name.rsplit(" ", 1)[-1]
    if plan.currency == "EUR" and form in EU_PLACES:
        country, ending, places = EU_PLACES[form]
        postcode, city = rng.choice(places)
        if ending:
            line = f"{street}{ending} {number}"
        elif country == "France":
            line = f"{number} rue du {street}"
        else:
            line = f"Via {street} {number}"
        return f"{line}\n{postcode} {city}\n{country}"
    if plan.currency == "GBP":
        city, postcode = rng.choice(GB_PLACES)
        return f"{number} {street} Road\n{city}\n{postcode}\nUnited Kingdom"
    if plan.currency == "CAD":
        city, province, postcode = rng.choice(CA_PLACES)
        return f"{number} {street} Street\n{city} {province} {postcode}\nCanada"
    city, state, zip_code = rng.choice(US_PLACES)
    return f"{number} {street} Ave\n{city}, {state} {zip_code}"


def demo_counts() -> dict[str, int]:
    """What the demo holds, for the closing summary and the tests."""
    customers = demo_customers()
    invoices = Invoice.objects.filter(customer__in=customers)
    payments = Payment.objects.filter(customer__in=customers)
    invoice_counts = invoices.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(open_amount=F("amount"))),
        partly_paid=Count("id", filter=Q(open_amount__gt=0, open_amount__lt=F("amount"))),
        paid=Count("id", filter=Q(open_amount=0)),
        overdue=Count("id", filter=Q(open_amount__gt=0, due_date__lt=timezone.localdate())),
    )
    reporting = Currency.objects.filter(code="USD")
    return {
        "customers": customers.count(),
        "parent accounts": customers.filter(children__isnull=False).distinct().count(),
        "child accounts": customers.filter(parent__isnull=False).count(),
        "foreign-currency customers": customers.exclude(currency__in=reporting).count(),
        "do-not-contact": customers.filter(do_not_contact=True).count(),
        "unassigned customers": customers.filter(assigned_collector__isnull=True).count(),
        "contacts": Contact.objects.filter(customer__in=customers).count(),
        "invoices": invoice_counts["total"],
        "invoices open (unpaid)": invoice_counts["open"],
        "invoices partly paid": invoice_counts["partly_paid"],
        "invoices paid": invoice_counts["paid"],
        "invoices overdue": invoice_counts["overdue"],
        "payments": payments.count(),
        "payments with unapplied cash": payments.filter(unapplied_amount__gt=0).count(),
        "applications": Application.objects.filter(invoice__in=invoices).count(),
        "reversals": Application.objects.filter(
            invoice__in=invoices, reverses__isnull=False
        ).count(),
        "credit memos": CreditMemo.objects.filter(customer__in=customers).count(),
        "write-offs": Adjustment.objects.filter(invoice__in=invoices).count(),
        "exchange rates": ExchangeRate.objects.count(),
        "customers with German letters": DunningProfile.objects.filter(
            customer__in=customers, language="de"
        ).count(),
        "dunning runs in preview": DunningRun.objects.filter(status="preview").count(),
        "dunning communications planned": DunningCommunication.objects.filter(
            status="planned"
        ).count(),
    }
