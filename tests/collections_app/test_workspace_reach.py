"""Reach: collector A cannot see, act on, or be queued B's accounts on any workspace route."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import get_resolver

from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import Activity, Escalation, FollowUp, PaymentPlan, Promise
from disputes.models import Dispute
from dunning import services as dunning
from dunning.models import DunningProfile, InvoiceDunning
from tests.factories import ContactFactory

from .workflow import account, collector, credit_manager, days, overdue_invoice, today

pytestmark = pytest.mark.django_db

READS = [
    "customer_detail",
    "workspace_timeline",
    "workspace_items",
    "workspace_statement",
    "workspace_email_status",
]
WRITES = {
    "workspace_call": {"call-outcome": "no_answer"},
    "workspace_promise": {"promise-amount": "10.00", "promise-promised_date": "2099-01-01"},
    "workspace_follow_up": {"follow_up-due_date": "2099-01-01"},
    "workspace_email": {"email-template": "statement"},
    "workspace_dispute": {"dispute-reason_code": "pricing"},
    "workspace_escalate": {"escalate-reason": "needs a manager"},
    "workspace_contact_add": {"contact-name": "Pat Doe", "contact-phone": "+1 555 0199"},
    # the contact's own form fields are named by its id: the reach check comes first anyway
    "workspace_contact_update": {},
    "workspace_billing_address": {"address-billing_address": "1 New Street\nSpringfield"},
    "workspace_follow_up_done": {},
    "workspace_promise_cancel": {"reason": "customer withdrew"},
    "workspace_payment_plan": {
        "payment_plan-total_amount": "100.00",
        "payment_plan-count": "2",
        "payment_plan-first_date": "2099-01-01",
        "payment_plan-interval_days": "30",
    },
    "workspace_payment_plan_cancel": {"reason": "customer withdrew"},
    "workspace_escalation_resolve": {"resolution": "terms agreed"},
    "workspace_dispute_resolve": {"resolution": "credit issued"},
    "workspace_dunning_policy": {"dunning-policy": "", "dunning-language": "de"},
    "workspace_dunning_stop": {"stop-reason": "in legal review", "stop-until": "2099-01-01"},
    "workspace_dunning_stop_lift": {},
    # the invoice's own form fields are added in the test: their prefix names the invoice
    "workspace_invoice_dunning_stop": {},
    "workspace_invoice_dunning_stop_lift": {},
}


def _open_work(name: str, customer) -> list[int]:
    """The second id of the routes that act on one open item of the account."""
    owner = customer.assigned_collector
    if name == "workspace_follow_up_done":
        return [services.follow_up_schedule(actor=owner, customer=customer, due_date=today()).pk]
    if name == "workspace_promise_cancel":
        promise = services.promise_record(
            actor=owner,
            customer=customer,
            amount=Decimal("10.00"),
            promised_date=today() + days(3),
            invoice_ids=[],
        )
        return [promise.pk]
    if name == "workspace_payment_plan_cancel":
        plan = services.payment_plan_agree(
            actor=owner,
            customer=customer,
            installments=[
                (today() + days(3), Decimal("5.00")),
                (today() + days(9), Decimal("5.00")),
            ],
        )
        return [plan.pk]
    if name == "workspace_escalation_resolve":
        return [services.escalation_raise(actor=owner, customer=customer, reason="needs terms").pk]
    if name == "workspace_dispute_resolve":
        invoice_ids = list(customer.invoices.values_list("pk", flat=True))
        dispute = services.dispute_raise(
            actor=owner, customer=customer, invoice_ids=invoice_ids, reason_code="pricing"
        )
        return [dispute.pk]
    if name == "workspace_contact_update":
        return [customer.contacts.get().pk]
    if name == "workspace_dunning_stop_lift":
        dunning.dunning_stop_customer(
            actor=owner, customer=customer, reason="in legal review", until=today() + days(9)
        )
    if name in ("workspace_invoice_dunning_stop", "workspace_invoice_dunning_stop_lift"):
        invoice = customer.invoices.get()
        if name.endswith("_lift"):
            dunning.dunning_stop_invoice(
                actor=owner, invoice=invoice, reason="credit note coming", until=today() + days(9)
            )
        return [invoice.pk]
    return []


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def bobs_account():
    customer = account(collector("bob"), "Bobs Co")
    overdue_invoice(customer, "900.00", days_late=95)
    services.queue_state_refresh()
    return customer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, pk: int, *more: int) -> str:
    from django.urls import reverse

    return reverse(name, args=[pk, *more])


def _records() -> tuple:
    return (
        Activity.objects.count(),
        Promise.objects.count(),
        FollowUp.objects.count(),
        Escalation.objects.count(),
        Dispute.objects.count(),
        PaymentPlan.objects.count(),
        AuditEntry.objects.count(),
        sorted(DunningProfile.objects.values_list("pk", "policy", "language", "stop_until")),
        sorted(InvoiceDunning.objects.values_list("pk", "stop_until")),
        *(
            m.objects.filter(status="open").count()
            for m in (Promise, FollowUp, Escalation, Dispute, PaymentPlan)
        ),
    )


def _routes(patterns, prefix=""):
    """Every named route with its full pattern, through included URL modules (dunning adds
    its workspace actions under customers/ from an app of its own)."""
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif getattr(p, "name", None):
            yield p.name, prefix + str(p.pattern)


def test_every_workspace_route_is_checked():
    names = {
        name
        for name, pattern in _routes(get_resolver().url_patterns)
        if pattern.startswith("customers/<int:pk>/")
    }
    assert names == set(READS) | set(WRITES)


@pytest.mark.parametrize("name", READS)
def test_collector_gets_404_reading_another_portfolios_workspace(name, alice, bobs_account):
    assert _client(alice).get(_url(name, bobs_account.pk)).status_code == 404


@pytest.mark.parametrize("name", sorted(WRITES))
def test_collector_gets_404_acting_on_another_portfolios_account(name, alice, bobs_account):
    contact = ContactFactory(customer=bobs_account)
    body = {**WRITES[name], "email-contact": contact.pk}
    invoice_id = bobs_account.invoices.get().pk
    body[f"invoice-stop-{invoice_id}-reason"] = "credit note coming"
    body[f"invoice-stop-{invoice_id}-until"] = (today() + days(5)).isoformat()
    url = _url(name, bobs_account.pk, *_open_work(name, bobs_account))
    before = _records()

    response = _client(alice).post(url, {**body, "invoices": [invoice_id]}, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert _records() == before


def test_collector_cannot_name_another_portfolios_invoice_from_their_own_account(alice):
    mine = account(alice, "Mine")
    theirs = overdue_invoice(account(collector("bob"), "Theirs"), "900.00", days_late=95)
    before = _records()

    response = _client(alice).post(
        _url("workspace_promise", mine.pk),
        {
            "promise-amount": "10.00",
            "promise-promised_date": (today() + days(1)).isoformat(),
            "invoices": [theirs.pk],
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.context["forms"]["promise"].errors == {
        "invoices": ["a promise may cover only this customer's open invoices"]
    }
    assert _records() == before


def test_collector_cannot_e_mail_another_customers_contact(alice):
    mine = account(alice, "Mine")
    theirs = ContactFactory(customer=account(collector("bob"), "Theirs"))

    response = _client(alice).post(
        _url("workspace_email", mine.pk),
        {"email-contact": theirs.pk, "email-template": "statement"},
        HTTP_HX_REQUEST="true",
    )

    assert "contact" in response.context["forms"]["email"].errors
    assert Activity.objects.count() == 0


def test_another_portfolios_account_is_never_queued_nor_next(alice, bobs_account):
    client = _client(alice)

    assert client.get("/queue/?owner=all").context["rows"] == []
    response = client.get("/queue/next/?from=99999:0&owner=all")
    assert (response.status_code, response.url) == (302, "/queue/?")


def test_the_team_page_and_reassignment_are_for_team_viewers_only(alice, bobs_account):
    client = _client(alice)

    assert client.get("/team/").status_code == 403
    response = client.post(
        "/team/reassign/", {"to_collector": alice.pk, "customers": [bobs_account.pk]}
    )
    assert response.status_code == 403
    bobs_account.refresh_from_db()
    assert bobs_account.assigned_collector.username == "bob"


def test_a_credit_manager_reaches_every_workspace(bobs_account):
    assert (
        _client(credit_manager()).get(_url("customer_detail", bobs_account.pk)).status_code == 200
    )


def test_anonymous_is_sent_to_log_in(bobs_account):
    response = Client().get("/queue/")
    assert (response.status_code, response.url) == (302, "/login/?next=/queue/")
