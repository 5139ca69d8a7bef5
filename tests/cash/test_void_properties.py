"""Voids mixed with any sequence of postings, applications and reversals (hypothesis,
stateful): a void payment is always fully unapplied with no live application, is refused
by every later apply, and the ledger's stored balances always agree with its rows.

Each example runs inside its own savepoint, rolled back in ``teardown``."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.errors import ServiceError
from invoices import services
from invoices.models import Application, Invoice, Payment, ReturnedPayment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice

DAY_0 = datetime.date(2026, 1, 1)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500.00"), places=2)


class VoidMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.customer = CustomerFactory()
        self.invoices = [
            invoice(self.customer, "300.00", number=f"P-{n}", issue_date=DAY_0) for n in range(4)
        ]
        self.payments: list[Payment] = []
        self.void: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @rule(amount=money, day=st.integers(0, 30))
    def post(self, amount, day):
        self.payments.append(
            services.payment_post(
                actor=None,
                customer=self.customer,
                reference=f"PAY-{len(self.payments)}",
                received_date=DAY_0 + datetime.timedelta(day),
                amount=amount,
            )
        )

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def apply_oldest_first(self, data):
        payment = data.draw(st.sampled_from(self.payments))
        try:
            services.payment_apply_oldest_first(
                actor=None, payment=Payment.objects.get(pk=payment.pk)
            )
        except ServiceError as refused:
            assert payment.pk in self.void and refused.code == "void"
        else:
            assert payment.pk not in self.void

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), amount=money)
    def apply_one(self, data, amount):
        payment = Payment.objects.get(pk=data.draw(st.sampled_from(self.payments)).pk)
        target = Invoice.objects.get(pk=data.draw(st.sampled_from(self.invoices)).pk)
        amount = min(amount, payment.unapplied_amount, target.open_amount)
        if amount <= 0:
            return
        try:
            services.payment_apply(
                actor=None,
                payment=payment,
                allocations=[services.Allocation(invoice_id=target.pk, amount=amount)],
            )
        except ServiceError as refused:
            assert payment.pk in self.void and refused.code == "void"
        else:
            assert payment.pk not in self.void

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def reverse(self, data):
        live = list(
            Application.objects.filter(
                payment__in=[p.pk for p in self.payments],
                reverses__isnull=True,
                reversed_by__isnull=True,
            )
        )
        if live:
            services.application_reverse(actor=None, application=data.draw(st.sampled_from(live)))

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), later=st.integers(0, 20))
    def void_one(self, data, later):
        payment = Payment.objects.get(pk=data.draw(st.sampled_from(self.payments)).pk)
        try:
            services.payment_void(
                actor=None,
                payment=payment,
                return_date=payment.received_date + datetime.timedelta(later),
                reason="NSF",
            )
        except ServiceError as refused:
            assert payment.pk in self.void and refused.code == "already_void"
        else:
            assert payment.pk not in self.void
            self.void.add(payment.pk)

    @invariant()
    def void_payments_hold_nothing(self):
        for payment in Payment.objects.filter(pk__in=self.void):
            assert (payment.status, payment.unapplied_amount) == ("void", payment.amount)
            assert not Application.objects.filter(
                payment=payment, reverses__isnull=True, reversed_by__isnull=True
            ).exists()
        assert ReturnedPayment.objects.count() == len(self.void)

    @invariant()
    def ledger_agrees_with_itself(self):
        assert ledger_discrepancies() == []


def test_voids_keep_the_ledger_whole_under_any_sequence(db):
    run_state_machine_as_test(
        VoidMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
