"""The credit services: every change has its history row, audit entry, timeline line and a
fresh queue score; a refusal changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer
from collections_app.models import Activity, ActivityKind, Escalation, QueueState
from collections_app.services import escalation_raise
from credit import services
from credit.models import CreditChange, LimitChangeRequest
from tests.factories import CustomerFactory, invoice

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def _state(customer) -> dict:
    """Everything a refused credit change must leave as it was."""
    fresh = Customer.objects.get(pk=customer.pk)
    return {
        "status": fresh.credit_status,
        "limit": fresh.credit_limit,
        "changes": CreditChange.objects.count(),
        "requests": list(LimitChangeRequest.objects.values_list("pk", "status")),
        "audit": AuditEntry.objects.count(),
        "timeline": Activity.objects.count(),
        "escalations": list(Escalation.objects.values_list("pk", "status")),
    }


def test_a_status_change_is_recorded_audited_on_the_timeline_and_scored(manager, customer):
    invoice(customer, "1000.00")  # long overdue by today

    change = services.credit_status_set(
        actor=manager,
        customer=customer,
        status="hold",
        reason="payment_behaviour",
        comment="Three broken promises",
        until=TOMORROW,
    )

    customer.refresh_from_db()
    assert customer.credit_status == "hold"
    assert (change.status_before, change.status_after, change.reason, change.until) == (
        "good",
        "hold",
        "payment_behaviour",
        TOMORROW,
    )
    assert change.actor == manager
    audit = AuditEntry.objects.get(action="credit.status_set")
    assert (audit.actor, audit.object_type, audit.object_id) == (
        manager,
        "accounts.customer",
        str(customer.pk),
    )
    assert audit.before == {"credit_status": "good"}
    assert audit.after == {
        "credit_status": "hold",
        "reason": "payment_behaviour",
        "comment": "Three broken promises",
        "until": TOMORROW.isoformat(),
        "credit_change": change.pk,
    }
    line = Activity.objects.get(customer=customer, kind=ActivityKind.CREDIT)
    assert line.summary == (
        f"Credit status: Good standing → Credit hold until {TOMORROW.isoformat()} "
        "(Payment behaviour)"
    )
    assert (line.note, line.actor) == ("Three broken promises", manager)
    # the score reads the status: an overdue account on hold gets 40 more points
    assert QueueState.objects.get(customer=customer).refreshed_at >= change.created_at


def test_a_status_change_without_a_reason_changes_nothing(manager, customer):
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_status_set(actor=manager, customer=customer, status="hold", reason="")

    assert refused.value.field == "reason"
    assert _state(customer) == before


def test_other_as_a_reason_needs_a_comment(manager, customer):
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_status_set(
            actor=manager, customer=customer, status="watch", reason="other", comment=" "
        )

    assert refused.value.field == "comment"
    assert _state(customer) == before


@pytest.mark.parametrize(
    ("status", "until"),
    [("stop", TOMORROW), ("good", TOMORROW), ("hold", timezone.localdate())],
)
def test_an_end_date_only_on_a_watch_or_hold_and_in_the_future(manager, customer, status, until):
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_status_set(
            actor=manager, customer=customer, status=status, reason="legal", until=until
        )

    assert refused.value.field == "until"
    assert _state(customer) == before


def test_setting_the_status_it_already_has_is_refused(manager, customer):
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_status_set(actor=manager, customer=customer, status="good", reason="legal")

    assert refused.value.code == "unchanged"
    assert _state(customer) == before


def test_a_limit_within_authority_takes_effect_with_history_audit_and_timeline(manager, customer):
    invoice(customer, "30000.00")

    change = services.credit_limit_set(
        actor=manager,
        customer=customer,
        limit="80000.00",
        reason="financial_statements",
        comment="2025 accounts are strong",
    )

    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("80000.00")
    assert isinstance(change, CreditChange)
    assert (change.limit_before, change.limit_after, change.currency_id) == (
        Decimal("50000.00"),
        Decimal("80000.00"),
        "USD",
    )
    audit = AuditEntry.objects.get(action="credit.limit_set")
    assert audit.before == {"credit_limit": "50000.00"}
    assert audit.after["credit_limit"] == "80000.00"
    assert audit.after["reason"] == "financial_statements"
    line = Activity.objects.get(customer=customer, kind=ActivityKind.CREDIT)
    assert line.summary == ("Credit limit: 50,000.00 USD → 80,000.00 USD (Financial statements)")
    # 30,000 open of an 80,000 limit
    assert QueueState.objects.get(customer=customer).credit_use_pct == 38


def test_lowering_a_limit_needs_no_authority(collector, customer):
    change = services.credit_limit_set(
        actor=collector, customer=customer, limit="1000.00", reason="over_limit"
    )

    assert isinstance(change, CreditChange)
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("1000.00")


def test_a_limit_above_authority_goes_to_the_lowest_authority_that_covers_it(
    manager, senior, director, customer
):
    before_limit = customer.credit_limit

    request = services.credit_limit_set(
        actor=manager,
        customer=customer,
        limit="250000.00",
        reason="management_decision",
        comment="New framework contract",
    )

    assert isinstance(request, LimitChangeRequest)
    assert (request.status, request.assigned_to, request.requested_by) == (
        "pending",
        senior,
        manager,
    )
    assert (request.limit_before, request.requested_limit) == (before_limit, Decimal("250000.00"))
    assert Customer.objects.get(pk=customer.pk).credit_limit == before_limit
    assert CreditChange.objects.count() == 0
    audit = AuditEntry.objects.get(action="credit.limit_request")
    assert audit.after["assigned_to"] == senior.pk
    line = Activity.objects.get(customer=customer, kind=ActivityKind.CREDIT)
    assert line.summary == (
        "Credit limit 250,000.00 USD requested (now 50,000.00 USD), forwarded to sam: "
        "above the requester's authority"
    )


def test_a_limit_above_everyones_authority_is_refused_and_changes_nothing(
    manager, senior, customer
):
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_limit_set(
            actor=manager, customer=customer, limit="9000000.00", reason="legal"
        )

    assert refused.value.code == "no_authority"
    assert _state(customer) == before


def test_an_authority_in_another_currency_is_converted_and_never_taken_one_to_one(
    manager, customer
):
    from accounts.models import ExchangeRate

    euro = services.credit_authority_set(
        actor=None, user=manager, amount="100000.00", currency="EUR"
    )
    assert euro.currency_id == "EUR"
    before = _state(customer)

    # no EUR rate in force: the euro authority covers nothing above the current limit
    with pytest.raises(ServiceError):
        services.credit_limit_set(
            actor=manager, customer=customer, limit="90000.00", reason="legal"
        )
    assert _state(customer) == before

    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.10"),
    )
    # 100,000 EUR = 110,000 USD covers 105,000 USD
    change = services.credit_limit_set(
        actor=manager, customer=customer, limit="105000.00", reason="legal"
    )
    assert isinstance(change, CreditChange)


def test_a_second_request_while_one_is_pending_is_refused(manager, senior, customer):
    services.credit_limit_set(actor=manager, customer=customer, limit="200000", reason="legal")
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.credit_limit_set(actor=manager, customer=customer, limit="60000", reason="legal")

    assert refused.value.code == "pending_request"
    assert _state(customer) == before


def test_approving_a_request_sets_the_limit_with_the_requester_in_the_history(
    manager, senior, customer
):
    request = services.credit_limit_set(
        actor=manager, customer=customer, limit="250000.00", reason="management_decision"
    )

    decided = services.limit_request_decide(
        actor=senior, request=request, approve=True, comment="Guarantee received"
    )

    assert (decided.status, decided.decided_by, decided.decision_comment) == (
        "approved",
        senior,
        "Guarantee received",
    )
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("250000.00")
    change = CreditChange.objects.get()
    assert (change.request, change.actor, change.reason) == (decided, senior, "management_decision")
    assert AuditEntry.objects.get(action="credit.limit_request_decide").after == {
        "status": "approved",
        "comment": "Guarantee received",
    }
    assert Activity.objects.filter(customer=customer, kind="credit").latest("id").summary == (
        "Credit limit: 50,000.00 USD → 250,000.00 USD (Management decision), "
        "approved request of carla"
    )


def test_rejecting_a_request_keeps_the_limit(manager, senior, customer):
    request = services.credit_limit_set(
        actor=manager, customer=customer, limit="250000.00", reason="legal"
    )

    services.limit_request_decide(
        actor=senior, request=request, approve=False, comment="Not without a guarantee"
    )

    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("50000.00")
    assert LimitChangeRequest.objects.get().status == "rejected"
    assert CreditChange.objects.count() == 0
    line = Activity.objects.filter(customer=customer, kind="credit").latest("id")
    assert (line.summary, line.note) == (
        "Credit limit request of 250,000.00 USD rejected",
        "Not without a guarantee",
    )


def test_a_decider_without_the_authority_or_the_requester_cannot_approve(manager, senior, customer):
    from accounts import roles
    from tests.credit.conftest import authority
    from tests.factories import user_in_role

    junior = authority(user_in_role(roles.CREDIT_MANAGER, "jules"), "10000.00")
    request = services.credit_limit_set(
        actor=manager, customer=customer, limit="250000.00", reason="legal"
    )
    before = _state(customer)

    with pytest.raises(ServiceError) as too_low:
        services.limit_request_decide(actor=junior, request=request, approve=True, comment="ok")
    with pytest.raises(ServiceError) as own:
        services.limit_request_decide(actor=manager, request=request, approve=True, comment="ok")

    assert (too_low.value.code, own.value.code) == ("no_authority", "own_request")
    assert _state(customer) == before


def test_a_hold_lapses_after_its_end_date_once(manager, customer):
    services.credit_status_set(
        actor=manager, customer=customer, status="watch", reason="payment_behaviour"
    )
    services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="over_limit", until=TOMORROW
    )
    day_after = TOMORROW + datetime.timedelta(days=1)

    assert services.credit_holds_lapse(today=TOMORROW) == []  # the end day is still held
    (lapse,) = services.credit_holds_lapse(today=day_after)
    again = services.credit_holds_lapse(today=day_after)

    assert again == []
    assert Customer.objects.get(pk=customer.pk).credit_status == "watch"
    assert (lapse.status_before, lapse.status_after, lapse.reason, lapse.actor) == (
        "hold",
        "watch",
        "lapsed",
        None,
    )
    assert lapse.comment == f"Credit hold until {TOMORROW.isoformat()} ended"
    line = Activity.objects.filter(customer=customer, kind="credit").latest("id")
    assert line.summary == "Credit status: Credit hold → Watch (Until date passed)"
    assert line.actor is None
    assert AuditEntry.objects.filter(action="credit.status_set", actor=None).count() == 1


def test_a_hold_changed_by_a_person_since_does_not_lapse(manager, customer):
    services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="over_limit", until=TOMORROW
    )
    services.credit_status_set(actor=manager, customer=customer, status="stop", reason="legal")

    assert services.credit_holds_lapse(today=TOMORROW + datetime.timedelta(days=5)) == []
    assert Customer.objects.get(pk=customer.pk).credit_status == "stop"


def test_the_beat_task_lapses_holds(manager, customer, settings):
    from credit.tasks import credit_holds_lapse

    assert settings.CELERY_BEAT_SCHEDULE["credit-holds-lapse-nightly"]["task"] == (
        "credit.tasks.credit_holds_lapse"
    )
    services.credit_status_set(
        actor=manager, customer=customer, status="hold", reason="over_limit", until=TOMORROW
    )
    CreditChange.objects.update(until=timezone.localdate() - datetime.timedelta(days=1))

    assert credit_holds_lapse.apply().get() == 1
    assert Customer.objects.get(pk=customer.pk).credit_status == "good"


def test_deciding_an_escalation_closes_it_with_the_decision_and_moves_the_status(
    manager, collector, customer
):
    escalation = escalation_raise(actor=collector, customer=customer, reason="Refuses to pay")

    services.escalation_decide(
        actor=manager,
        escalation=escalation,
        status="hold",
        reason="payment_behaviour",
        comment="Until the March invoices are paid",
    )

    escalation.refresh_from_db()
    assert escalation.status == "resolved"
    assert Customer.objects.get(pk=customer.pk).credit_status == "hold"
    resolved = Activity.objects.get(customer=customer, summary="Escalation resolved")
    assert resolved.note == (
        "Decision: credit status credit hold. Reason: Payment behaviour. "
        "Until the March invoices are paid"
    )
    assert resolved.actor == manager
    assert AuditEntry.objects.get(action="credit.escalation_decide").after == {
        "decision": "hold",
        "credit_status": "hold",
        "reason": "payment_behaviour",
        "comment": "Until the March invoices are paid",
    }
    assert CreditChange.objects.get().status_after == "hold"


def test_an_escalation_decided_to_keep_the_status_changes_no_credit(manager, collector, customer):
    escalation = escalation_raise(actor=collector, customer=customer, reason="Asks for more time")

    services.escalation_decide(
        actor=manager, escalation=escalation, status="keep", reason="management_decision"
    )

    assert Escalation.objects.get().status == "resolved"
    assert CreditChange.objects.count() == 0
    assert Activity.objects.get(summary="Escalation resolved").note == (
        "Decision: credit status kept (good standing). Reason: Management decision."
    )


def test_an_escalation_decision_refused_leaves_the_escalation_open(manager, collector, customer):
    escalation = escalation_raise(actor=collector, customer=customer, reason="Refuses to pay")
    before = _state(customer)

    with pytest.raises(ServiceError):
        services.escalation_decide(
            actor=manager,
            escalation=escalation,
            status="stop",
            reason="legal",
            until=TOMORROW,
        )

    assert _state(customer) == before


def test_setting_an_authority_is_audited(manager):
    services.credit_authority_set(actor=None, user=manager, amount="150000.00", currency="USD")

    entry = AuditEntry.objects.filter(action="credit.authority_set").latest("id")
    assert entry.before == {"amount": "100000.00", "currency": "USD"}
    assert entry.after == {"amount": "150000.00", "currency": "USD", "user": manager.pk}


def test_an_end_date_without_a_new_status_is_refused_on_an_escalation(manager, collector, customer):
    escalation = escalation_raise(actor=collector, customer=customer, reason="Refuses to pay")
    before = _state(customer)

    with pytest.raises(ServiceError) as refused:
        services.escalation_decide(
            actor=manager, escalation=escalation, status="keep", reason="legal", until=TOMORROW
        )

    assert refused.value.field == "until"
    assert _state(customer) == before


def test_a_limit_with_more_places_than_its_currency_has_is_refused(manager):
    yen = CustomerFactory(currency_id="JPY", credit_limit=Decimal("100000"))
    before = _state(yen)

    with pytest.raises(ServiceError) as refused:
        services.credit_limit_set(
            actor=manager, customer=yen, limit="150000.50", reason="financial_statements"
        )

    assert refused.value.field == "limit"
    assert "JPY amounts have no decimal places" in refused.value.message
    assert _state(yen) == before
