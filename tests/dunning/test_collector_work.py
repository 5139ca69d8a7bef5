"""The collector's work comes first: each of these alone keeps a customer out of a run, and
the preview says why (docs/dunning.md, "Which customers")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import services as workflow
from collections_app.models import Activity, Promise, PromiseStatus
from collections_app.services.activities import activity_add
from dunning import services as dunning
from dunning.models import SkipReason
from tests.collections_app.workflow import (
    account,
    collector,
    credit_manager,
    days,
    overdue_invoice,
    pay,
    today,
)
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    ensure_dunning_defaults()
    owner = collector("cora")
    customer = account(owner, "Acme Widgets", billing_address="1 Main St\nSpringfield")
    ContactFactory(customer=customer, name="Ann", email="ap@acme.example", is_primary=True)
    overdue_invoice(customer, "200.00", days_late=20, number="ACME-1")
    return customer


def outcome(customer) -> tuple[bool, list[tuple[str, str]]]:
    """(gets a communication, [(skip reason, detail)]) in a fresh preview."""
    run = dunning.dunning_run_start(actor=credit_manager("carla"))
    skips = list(run.skips.filter(customer=customer).values_list("reason", "detail"))
    return run.communications.filter(customer=customer).exists(), skips


def test_without_any_collector_work_the_customer_is_dunned(acme):
    assert outcome(acme) == (True, [])


def test_a_call_by_the_collector_today_holds_dunning(acme):
    workflow.call_log(actor=acme.assigned_collector, customer=acme, outcome="spoke_to_ap")

    assert outcome(acme) == (
        False,
        [(SkipReason.RECENT_CONTACT, f"last spoken to or written to by a person on {today()}")],
    )


def test_a_contact_older_than_the_quiet_days_does_not(acme, settings):
    settings.DUNNING_QUIET_DAYS_AFTER_CONTACT = 7
    activity, _ = workflow.call_log(
        actor=acme.assigned_collector, customer=acme, outcome="spoke_to_ap"
    )
    Activity.objects.filter(pk=activity.pk).update(occurred_at=timezone.now() - days(8))

    assert outcome(acme) == (True, [])


def test_dunning_s_own_letters_are_not_a_personal_contact(acme):
    activity_add(actor=None, customer=acme, kind="email", summary="Dunning level 1")

    assert outcome(acme) == (True, [])


def test_a_promise_not_yet_due_holds_dunning(acme):
    workflow.promise_record(
        actor=acme.assigned_collector,
        customer=acme,
        amount=Decimal("200.00"),
        promised_date=today() + days(5),
    )

    assert outcome(acme) == (
        False,
        [(SkipReason.PROMISE, f"promised to pay by {today() + days(5)}")],
    )


def test_a_promise_kept_lately_holds_dunning_and_one_kept_long_ago_does_not(acme, settings):
    settings.DUNNING_QUIET_DAYS_AFTER_KEPT_PROMISE = 14
    overdue_invoice(acme, "300.00", days_late=18, number="ACME-2")
    promise = workflow.promise_record(
        actor=acme.assigned_collector, customer=acme, amount=Decimal("50.00"), promised_date=today()
    )
    pay(acme, "50.00")
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT

    assert outcome(acme) == (
        False,
        [(SkipReason.PROMISE, f"kept the promise to pay by {today()}")],
    )

    Promise.objects.filter(pk=promise.pk).update(promised_date=today() - days(15))
    assert outcome(acme) == (True, [])


def test_a_broken_promise_does_not_hold_dunning(acme):
    promise = workflow.promise_record(
        actor=acme.assigned_collector, customer=acme, amount=Decimal("50.00"), promised_date=today()
    )
    Promise.objects.filter(pk=promise.pk).update(
        status=PromiseStatus.BROKEN, promised_date=today() - days(10)
    )

    assert outcome(acme) == (True, [])


def test_an_open_escalation_holds_dunning(acme):
    workflow.escalation_raise(
        actor=acme.assigned_collector, customer=acme, reason="Disputes our terms, needs Carla"
    )

    assert outcome(acme) == (
        False,
        [(SkipReason.ESCALATION, "the credit manager has the account")],
    )


def test_a_payment_plan_on_schedule_holds_dunning(acme):
    workflow.payment_plan_agree(
        actor=acme.assigned_collector,
        customer=acme,
        installments=[
            (today() + days(7), Decimal("100.00")),
            (today() + days(37), Decimal("100.00")),
        ],
    )

    assert outcome(acme) == (False, [(SkipReason.PAYMENT_PLAN, "")])


def test_a_customer_whose_only_overdue_invoices_are_disputed_is_skipped_as_disputed(acme):
    (invoice,) = acme.invoices.all()
    workflow.dispute_raise(
        actor=acme.assigned_collector,
        customer=acme,
        invoice_ids=[invoice.pk],
        reason_code="pricing",
    )

    assert outcome(acme) == (
        False,
        [(SkipReason.DISPUTED, "every overdue invoice is in dispute: ACME-1")],
    )


def test_the_preview_page_shows_why(acme, client):
    workflow.call_log(actor=acme.assigned_collector, customer=acme, outcome="spoke_to_ap")
    manager = credit_manager("carla")
    run = dunning.dunning_run_start(actor=manager)
    client.force_login(manager)

    page = client.get(f"/dunning/runs/{run.pk}/").content.decode()

    assert "Contacted by a person lately" in page
    assert f"last spoken to or written to by a person on {today()}" in page


def test_a_small_balance_alone_is_skipped_below_the_minimum(acme):
    small = account(acme.assigned_collector, "Small Ltd", billing_address="2 Low Rd\nTown")
    ContactFactory(customer=small, email="ap@small.example", is_primary=True)
    overdue_invoice(small, "4.95", days_late=310, number="SMALL-1")

    sends, skips = outcome(small)

    assert sends is False
    assert skips == [
        (
            SkipReason.BELOW_MINIMUM,
            "SMALL-1: 4.95 USD is below the Friendly reminder minimum of 10.00 per invoice",
        )
    ]
