"""Payment plans: agreed through the service, judged instalment by instalment by the cash."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry
from collections_app import services, tasks
from collections_app.models import (
    PAYMENT_PLAN_TRANSITIONS,
    Activity,
    ActivityKind,
    PaymentPlan,
    PaymentPlanInstallment,
    PaymentPlanStatus,
    QueueState,
)
from collections_app.selectors import QueueFilters, queue_for, reason_lines
from collections_app.services.payment_plans import judge_plan

from .workflow import account, collector, days, overdue_invoice, pay, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    return account(alice)


def _plan(alice, customer, *rows: tuple[int, str]) -> PaymentPlan:
    """``rows``: (days from today, amount) per instalment."""
    return services.payment_plan_agree(
        actor=alice,
        customer=customer,
        installments=[(today() + days(n), Decimal(amount)) for n, amount in rows],
        note="agreed on the phone",
    )


def _days_later(n: int):
    later = timezone.now() + days(n)
    return mock.patch("django.utils.timezone.now", return_value=later)


def _records() -> tuple:
    return (
        PaymentPlan.objects.count(),
        PaymentPlanInstallment.objects.count(),
        Activity.objects.count(),
        AuditEntry.objects.count(),
    )


def _queue(user) -> list[str]:
    return [s.customer.name for s in queue_for(user, QueueFilters())]


def test_agreeing_a_plan_writes_the_plan_its_instalments_a_timeline_row_and_an_audit_entry(
    alice, northwind
):
    plan = _plan(alice, northwind, (5, "300.00"), (35, "300.00"), (65, "400.00"))

    assert (plan.status, plan.total_amount, plan.currency_id, plan.created_by) == (
        "open",
        Decimal("1000.00"),
        "USD",
        alice,
    )
    assert list(plan.installments.values_list("due_date", "amount")) == [
        (today() + days(5), Decimal("300.00")),
        (today() + days(35), Decimal("300.00")),
        (today() + days(65), Decimal("400.00")),
    ]
    activity = Activity.objects.get(customer=northwind)
    assert activity.kind == ActivityKind.PROMISE
    assert activity.summary == (
        f"Payment plan of 1,000.00 USD in 3 instalments, "
        f"{today() + days(5):%b %d, %Y} to {today() + days(65):%b %d, %Y}"
    )
    entry = AuditEntry.objects.get(action="payment_plan.agree")
    assert entry.after["total_amount"] == "1000.00"
    assert entry.after["installments"][0] == [(today() + days(5)).isoformat(), "300.00"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(5, "300.00")], "a payment plan has at least two instalments"),
        ([(5, "300.00"), (5, "300.00")], "instalment dates must be strictly increasing"),
        ([(9, "300.00"), (5, "300.00")], "instalment dates must be strictly increasing"),
        ([(-1, "300.00"), (5, "300.00")], "an instalment cannot be due in the past"),
    ],
)
def test_a_plan_with_a_bad_schedule_is_refused_and_writes_nothing(alice, northwind, rows, message):
    before = _records()

    with pytest.raises(ServiceError) as refusal:
        _plan(alice, northwind, *rows)

    assert (refusal.value.message, refusal.value.field) == (message, "installments")
    assert _records() == before


def test_a_plan_with_a_zero_instalment_is_refused_and_writes_nothing(alice, northwind):
    before = _records()

    with pytest.raises(ServiceError) as refusal:
        _plan(alice, northwind, (5, "300.00"), (10, "0.00"))

    assert refusal.value.field == "installments"
    assert _records() == before


def test_the_plan_is_in_the_customers_currency(alice):
    customer = account(alice, "Euro Co", currency_id="EUR")

    plan = _plan(alice, customer, (5, "100.00"), (10, "100.00"))

    assert plan.currency_id == "EUR"


def test_the_sweep_breaks_a_plan_whose_first_instalment_went_unpaid_after_the_grace(
    alice, northwind, settings
):
    settings.PROMISE_GRACE_DAYS = 2
    overdue_invoice(northwind, "900.00", days_late=40)
    plan = _plan(alice, northwind, (0, "300.00"), (30, "600.00"))

    with _days_later(2):
        assert tasks.promise_sweep() == 0
    with _days_later(3):
        assert tasks.promise_sweep() == 1
        assert tasks.promise_sweep() == 0

    plan.refresh_from_db()
    assert plan.status == PaymentPlanStatus.BROKEN
    assert AuditEntry.objects.get(action="payment_plan.status").after == {
        "status": "broken",
        "collected_amount": "0",
    }


def test_cash_effective_within_the_grace_keeps_the_plan_on_schedule(alice, northwind, settings):
    settings.PROMISE_GRACE_DAYS = 2
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    plan = _plan(alice, northwind, (0, "300.00"), (30, "600.00"))
    paid_on = today() + days(2)

    with _days_later(3):  # cash takes effect no later than the day it is applied
        pay(northwind, "300.00", invoices=[inv], on=paid_on)
        assert services.payment_plans_evaluate() == 0

    plan.refresh_from_db()
    assert (plan.status, plan.collected_amount) == ("open", Decimal("300.00"))


def test_cash_effective_after_the_grace_does_not_keep_the_instalment(alice, northwind, settings):
    settings.PROMISE_GRACE_DAYS = 2
    inv = overdue_invoice(northwind, "900.00", days_late=40)
    plan = _plan(alice, northwind, (0, "300.00"), (30, "600.00"))
    paid_on = today() + days(3)

    with _days_later(3):  # cash takes effect no later than the day it is applied
        pay(northwind, "300.00", invoices=[inv], on=paid_on)
        services.payment_plans_evaluate()  # the reaction to the cash may have done it

    plan.refresh_from_db()
    assert plan.status == PaymentPlanStatus.BROKEN


def test_cash_covering_every_instalment_completes_the_plan_when_it_is_applied(alice, northwind):
    overdue_invoice(northwind, "900.00", days_late=40)
    plan = _plan(alice, northwind, (5, "300.00"), (30, "600.00"))

    pay(northwind, "900.00")

    plan.refresh_from_db()
    assert (plan.status, plan.collected_amount) == ("completed", Decimal("900.00"))
    assert Activity.objects.filter(kind=ActivityKind.SYSTEM).get().summary == (
        "Payment plan of 900.00 USD completed (900.00 USD collected)"
    )


def test_judging_counts_instalments_cumulatively():
    grace = datetime.timedelta(days=3)
    day = datetime.date(2026, 1, 1)
    rows = [(day, Decimal("100")), (day + days(30), Decimal("100"))]

    def judged(today, *collected):
        return judge_plan(
            installments=[(d, a, c) for (d, a), c in zip(rows, collected, strict=True)],
            today=today,
            grace=grace,
        )

    assert judged(day + days(4), Decimal("100"), Decimal("100")) == "open"
    assert judged(day + days(4), Decimal("99"), Decimal("99")) == "broken"
    assert judged(day + days(34), Decimal("100"), Decimal("150")) == "broken"
    assert judged(day + days(34), Decimal("100"), Decimal("200")) == "completed"


def test_cancelling_a_plan_records_why_and_is_final(alice, northwind):
    plan = _plan(alice, northwind, (5, "300.00"), (30, "600.00"))

    services.payment_plan_cancel(actor=alice, plan=plan, reason="refinanced")

    plan.refresh_from_db()
    assert plan.status == PaymentPlanStatus.CANCELLED
    assert AuditEntry.objects.get(action="payment_plan.cancel").after == {
        "status": "cancelled",
        "reason": "refinanced",
    }
    assert PAYMENT_PLAN_TRANSITIONS[PaymentPlanStatus.CANCELLED] == set()
    before = _records()
    with pytest.raises(ServiceError):
        services.payment_plan_cancel(actor=alice, plan=plan, reason="again")
    assert _records() == before


def test_cancelling_a_plan_needs_a_reason(alice, northwind):
    plan = _plan(alice, northwind, (5, "300.00"), (30, "600.00"))
    before = _records()

    with pytest.raises(ServiceError) as refusal:
        services.payment_plan_cancel(actor=alice, plan=plan, reason="  ")

    assert refusal.value.field == "reason"
    assert _records() == before
    plan.refresh_from_db()
    assert plan.status == "open"


def test_a_plan_on_schedule_drops_the_account_down_and_says_when_the_next_instalment_is(alice):
    planned = account(alice, "Planned")
    other = account(alice, "Other")
    overdue_invoice(planned, "9000.00", days_late=95)
    overdue_invoice(other, "2000.00", days_late=45)
    services.queue_state_refresh()
    assert _queue(alice) == ["Planned", "Other"]
    before = QueueState.objects.get(customer=planned).score

    _plan(alice, planned, (7, "4500.00"), (37, "4500.00"))

    assert _queue(alice) == ["Other", "Planned"]
    state = QueueState.objects.get(customer=planned)
    assert state.score == (before * Decimal("0.2")).quantize(Decimal("0.01"))
    assert f"on a payment plan, next instalment 4,500 USD due {today() + days(7):%b %d}" in (
        reason_lines(state)
    )


def test_a_cancelled_plan_no_longer_drops_the_account(alice):
    planned = account(alice, "Planned")
    overdue_invoice(planned, "9000.00", days_late=95)
    services.queue_state_refresh()
    before = QueueState.objects.get(customer=planned).score
    plan = _plan(alice, planned, (7, "4500.00"), (37, "4500.00"))

    services.payment_plan_cancel(actor=alice, plan=plan, reason="refinanced")

    assert QueueState.objects.get(customer=planned).score == before


def test_a_broken_plan_raises_the_account_like_a_broken_promise(alice, settings):
    settings.PROMISE_GRACE_DAYS = 0
    broken = account(alice, "Broken")
    plain = account(alice, "Plain")
    overdue_invoice(broken, "2000.00", days_late=45)
    overdue_invoice(plain, "4000.00", days_late=45)
    services.queue_state_refresh()
    assert _queue(alice) == ["Plain", "Broken"]
    _plan(alice, broken, (0, "1000.00"), (30, "1000.00"))

    with _days_later(1):
        assert services.payment_plans_evaluate() == 1

    services.queue_state_refresh()
    assert _queue(alice) == ["Broken", "Plain"]
    state = QueueState.objects.get(customer=broken)
    assert state.plan_next_date is None
    assert f"payment plan broken {timezone.localdate() + days(1):%b %d}" in reason_lines(state)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_workspace_form_expands_a_total_into_equal_instalments(alice, northwind):
    overdue_invoice(northwind, "1000.00", days_late=40)
    first = today() + days(3)

    response = _client(alice).post(
        reverse("workspace_payment_plan", args=[northwind.pk]),
        {
            "payment_plan-total_amount": "1000.00",
            "payment_plan-count": "3",
            "payment_plan-first_date": first.isoformat(),
            "payment_plan-interval_days": "30",
            "payment_plan-note": "three months",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    plan = PaymentPlan.objects.get(customer=northwind)
    assert list(plan.installments.values_list("due_date", "amount")) == [
        (first, Decimal("333.33")),
        (first + days(30), Decimal("333.33")),
        (first + days(60), Decimal("333.34")),
    ]
    assert response.context["side"]["payment_plans"] == [plan]
    assert b"Cancel plan" in response.content


def test_the_workspace_shows_a_service_refusal_on_the_form_and_writes_nothing(alice, northwind):
    before = _records()

    response = _client(alice).post(
        reverse("workspace_payment_plan", args=[northwind.pk]),
        {
            "payment_plan-total_amount": "1000.00",
            "payment_plan-count": "2",
            "payment_plan-first_date": (today() - days(1)).isoformat(),
            "payment_plan-interval_days": "30",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.context["forms"]["payment_plan"].errors == {
        "__all__": ["an instalment cannot be due in the past"]
    }
    assert _records() == before


def test_the_workspace_cancels_a_plan(alice, northwind):
    plan = _plan(alice, northwind, (5, "300.00"), (30, "600.00"))

    response = _client(alice).post(
        reverse("workspace_payment_plan_cancel", args=[northwind.pk, plan.pk]),
        {"reason": "customer paid in full elsewhere"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.status == PaymentPlanStatus.CANCELLED
    assert response.context["side"]["payment_plans"] == []
