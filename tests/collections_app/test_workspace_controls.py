"""The workspace's controls on open work: a follow-up done, a promise cancelled, an
escalation or a dispute resolved; each in place, audited, and refused without a change."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import Activity, Escalation, FollowUp, Promise, QueueState
from disputes.models import Dispute

from .workflow import account, collector, credit_manager, days, overdue_invoice, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    customer = account(alice)
    overdue_invoice(customer, "900.00", days_late=45, number="INV-1")
    return customer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _audit(action: str) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=action).order_by("pk").values_list("before", "after")
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- follow-ups ------------------------------------------------------------------------------


def test_marking_a_follow_up_done_closes_it_in_place_and_clears_it_from_the_queue(alice, northwind):
    follow_up = services.follow_up_schedule(actor=alice, customer=northwind, due_date=today())
    assert QueueState.objects.get(customer=northwind).follow_up_due_date == today()

    response = _client(alice).post(
        f"/customers/{northwind.pk}/follow-ups/{follow_up.pk}/done/", **HTMX
    )

    assert response.status_code == 200
    assert response.templates[0].name == "collections_app/_workspace_body.html"
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert response.context["side"]["follow_ups"] == []
    assert _messages(response) == [f"Follow-up of {today():%b %d} done."]
    assert _audit("follow_up.complete") == [({"status": "open"}, {"status": "done"})]
    assert QueueState.objects.get(customer=northwind).follow_up_due_date is None


def test_a_follow_up_already_done_is_refused_and_nothing_changes(alice, northwind):
    follow_up = services.follow_up_schedule(actor=alice, customer=northwind, due_date=today())
    services.follow_up_complete(actor=alice, follow_up=follow_up)
    before = (AuditEntry.objects.count(), Activity.objects.count())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/follow-ups/{follow_up.pk}/done/", **HTMX
    )

    assert _messages(response) == ["a done follow-up cannot become done"]
    assert (AuditEntry.objects.count(), Activity.objects.count()) == before


def test_another_accounts_follow_up_is_a_404_under_my_account(alice, northwind):
    other = account(alice, "Other Co")
    follow_up = services.follow_up_schedule(actor=alice, customer=other, due_date=today())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/follow-ups/{follow_up.pk}/done/", **HTMX
    )

    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_a_plain_post_marks_the_follow_up_done_and_returns_to_the_workspace(alice, northwind):
    follow_up = services.follow_up_schedule(actor=alice, customer=northwind, due_date=today())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/follow-ups/{follow_up.pk}/done/", {"from": "12.5:3"}
    )

    assert (response.status_code, response.url) == (
        302,
        f"/customers/{northwind.pk}/?from=12.5%3A3",
    )
    assert FollowUp.objects.get().status == "done"


# --- promises --------------------------------------------------------------------------------


def _promise(alice, customer) -> Promise:
    return services.promise_record(
        actor=alice,
        customer=customer,
        amount=Decimal("400.00"),
        promised_date=today() + days(5),
        invoice_ids=[],
    )


def test_cancelling_a_promise_records_the_reason_and_puts_the_account_back(alice, northwind):
    promise = _promise(alice, northwind)
    assert QueueState.objects.get(customer=northwind).next_promise_date == today() + days(5)

    response = _client(alice).post(
        f"/customers/{northwind.pk}/promises/{promise.pk}/cancel/",
        {"reason": "  AP says the cheque was never approved "},
        **HTMX,
    )

    promise.refresh_from_db()
    assert promise.status == "cancelled"
    assert response.context["side"]["promises"] == []
    assert _messages(response) == ["Promise of 400.00 USD cancelled."]
    assert _audit("promise.cancel") == [
        (
            {"status": "open"},
            {"status": "cancelled", "reason": "AP says the cheque was never approved"},
        )
    ]
    assert Activity.objects.filter(kind="promise").values_list("summary", "note").first() == (
        "Promise of 400.00 USD cancelled",
        "AP says the cheque was never approved",
    )
    assert QueueState.objects.get(customer=northwind).next_promise_date is None


def test_a_promise_is_not_cancelled_without_a_reason(alice, northwind):
    promise = _promise(alice, northwind)
    before = (AuditEntry.objects.count(), Activity.objects.count())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/promises/{promise.pk}/cancel/", {"reason": "  "}, **HTMX
    )

    assert _messages(response) == ["say why the promise is cancelled"]
    promise.refresh_from_db()
    assert promise.status == "open"
    assert (AuditEntry.objects.count(), Activity.objects.count()) == before


def test_a_kept_promise_cannot_be_cancelled(alice, northwind):
    promise = _promise(alice, northwind)
    Promise.objects.filter(pk=promise.pk).update(status="kept")
    before = AuditEntry.objects.count()

    response = _client(alice).post(
        f"/customers/{northwind.pk}/promises/{promise.pk}/cancel/", {"reason": "oops"}, **HTMX
    )

    assert _messages(response) == ["a kept promise cannot be cancelled"]
    assert Promise.objects.get().status == "kept"
    assert AuditEntry.objects.count() == before


# --- escalations -----------------------------------------------------------------------------


def test_the_credit_manager_resolves_an_escalation_in_place(alice, northwind):
    carla = credit_manager("carla")
    escalation = services.escalation_raise(
        actor=alice, customer=northwind, reason="asks for longer terms"
    )

    response = _client(carla).post(
        f"/customers/{northwind.pk}/escalations/{escalation.pk}/resolve/",
        {"resolution": "net 45 agreed for Q3"},
        **HTMX,
    )

    escalation.refresh_from_db()
    assert escalation.status == "resolved"
    assert response.context["side"]["escalations"] == []
    assert _audit("escalation.resolve") == [
        ({"status": "open"}, {"status": "resolved", "resolution": "net 45 agreed for Q3"})
    ]
    assert Activity.objects.filter(kind="escalation").values_list("summary", flat=True)[0] == (
        "Escalation resolved"
    )


def test_a_collector_cannot_resolve_the_escalation_addressed_to_the_manager(alice, northwind):
    credit_manager("carla")
    escalation = services.escalation_raise(
        actor=alice, customer=northwind, reason="asks for longer terms"
    )
    before = (AuditEntry.objects.count(), Activity.objects.count())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/escalations/{escalation.pk}/resolve/",
        {"resolution": "I decided myself"},
        **HTMX,
    )

    assert response.status_code == 403
    assert Escalation.objects.get().status == "open"
    assert (AuditEntry.objects.count(), Activity.objects.count()) == before


def test_a_resolved_escalation_is_not_resolved_twice(alice, northwind):
    carla = credit_manager("carla")
    escalation = services.escalation_raise(
        actor=alice, customer=northwind, reason="asks for longer terms"
    )
    services.escalation_resolve(actor=carla, escalation=escalation, resolution="no")
    before = AuditEntry.objects.count()

    response = _client(carla).post(
        f"/customers/{northwind.pk}/escalations/{escalation.pk}/resolve/",
        {"resolution": "yes after all"},
        **HTMX,
    )

    assert _messages(response) == ["a resolved escalation cannot be resolved"]
    assert AuditEntry.objects.count() == before


# --- disputes --------------------------------------------------------------------------------


def test_resolving_a_dispute_returns_its_amount_to_the_collectable_balance(alice, northwind):
    invoice = northwind.invoices.get()
    dispute = services.dispute_raise(
        actor=alice, customer=northwind, invoice_ids=[invoice.pk], reason_code="pricing"
    )
    assert QueueState.objects.get(customer=northwind).disputed_amount == Decimal("900.00")

    response = _client(alice).post(
        f"/customers/{northwind.pk}/disputes/{dispute.pk}/resolve/",
        {"resolution": "price confirmed, customer pays in full"},
        **HTMX,
    )

    dispute.refresh_from_db()
    assert dispute.status == "resolved"
    assert response.context["side"]["disputes"] == []
    assert _messages(response) == ["Dispute of 900.00 USD resolved."]
    assert _audit("dispute.resolve") == [
        (
            {"status": "open"},
            {
                "status": "resolved",
                "resolution": "price confirmed, customer pays in full",
                "resolved_at": dispute.resolved_at.isoformat(),
                # the workspace resolves without credit: the customer pays
                "outcome": "no_credit",
                "credit_memo": None,
            },
        )
    ]
    assert dispute.resolution == "price confirmed, customer pays in full"
    assert QueueState.objects.get(customer=northwind).disputed_amount == Decimal("0.00")


def test_a_dispute_is_not_resolved_without_saying_how(alice, northwind):
    invoice = northwind.invoices.get()
    dispute = services.dispute_raise(
        actor=alice, customer=northwind, invoice_ids=[invoice.pk], reason_code="pricing"
    )
    before = (AuditEntry.objects.count(), Activity.objects.count())

    response = _client(alice).post(
        f"/customers/{northwind.pk}/disputes/{dispute.pk}/resolve/", {"resolution": ""}, **HTMX
    )

    assert _messages(response) == ["say how the dispute was resolved"]
    assert Dispute.objects.get().status == "open"
    assert (AuditEntry.objects.count(), Activity.objects.count()) == before


# --- paging the open items from the queue -----------------------------------------------------


def test_paging_the_open_items_keeps_the_way_to_the_next_account(alice, northwind):
    for n in range(100):
        overdue_invoice(northwind, "10.00", days_late=n, number=f"INV-P{n:03d}")

    response = _client(alice).get(f"/customers/{northwind.pk}/?from=12.5%3A3&bucket=61_90&items=2")

    html = response.content.decode()
    assert response.context["items"].number == 2
    assert 'href="?bucket=61_90&amp;from=12.5%3A3&amp;items=1"' in html
    more = f"/customers/{northwind.pk}/items/?bucket=61_90&amp;from=12.5%3A3&amp;items=3"
    assert f'hx-get="{more}"' in html
    assert response.context["next_url"] == "/queue/next/?bucket=61_90&from=12.5%3A3"
